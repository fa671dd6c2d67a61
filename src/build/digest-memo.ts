/**
 * A memo of the build context's file digests, so that an unchanged file is
 * not read again to key the layer cache (sources.ts): its sha256 kept with
 * its path and stamp (device, inode, size, mtime and ctime, as git's index
 * keeps them). A file written since has another ctime, whatever its mtime
 * was set to. One whose ctime is within the last two seconds is not kept:
 * a write in the same clock tick as the read would not show (git's "racily
 * clean" files). Kept in a JSON file in the store, written whole (a temp
 * file renamed) at the end of a build that learned something; at most
 * MAX_ENTRIES, the ones used last kept. A file that cannot be read or
 * parsed is an empty memo.
 *
 * A long-lived process (the API service's builds) keeps the memo it read or
 * wrote (DigestMemo.open) while the file is still the one it read or wrote
 * (its inode, size and mtime): the entries are keyed by every file's own
 * stamp, so the memo in memory can only miss where the file would hit, and
 * one another process wrote is read again.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';

const MAX_ENTRIES = 50_000;
/** ctime this close to now (ms): not kept */
const RACY_MS = 2000;

/** what identifies a file's content without reading it */
export function fileStamp(st: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** the memo file's identity as last read or written ('' when there is none) */
function memoFileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

/** the memos this process has read or written, by file */
const open = new Map<string, { memo: DigestMemo; stamp: string }>();

export class DigestMemo {
  private readonly entries: Map<string, string>;
  private changed = false;

  /** the memo of FILE: the one this process holds while FILE is as it left it, else read anew */
  static open(file: string): DigestMemo {
    const stamp = memoFileStamp(file);
    const held = open.get(file);
    if (held && held.stamp === stamp) return held.memo;
    const memo = new DigestMemo(file);
    open.set(file, { memo, stamp });
    return memo;
  }

  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new Map();
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { v?: number; entries?: [string, string][] };
      if (doc.v === 1 && Array.isArray(doc.entries)) for (const [k, d] of doc.entries) if (typeof k === 'string' && typeof d === 'string') this.entries.set(k, d);
    } catch {
      // none yet, or unreadable: start empty
    }
  }

  /** the digest of the file at PATH with STAMP (fileStamp) and CTIME_MS: the memo's, else COMPUTE's (kept unless racy) */
  digest(path: string, stamp: string, ctimeMs: number, compute: () => string): string {
    const key = `${path}\0${stamp}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // the most recently used last (Map order), for trimming
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const d = compute();
    if (ctimeMs < this.now() - RACY_MS) {
      this.entries.set(key, d);
      this.changed = true;
    }
    return d;
  }

  /** writes the memo when it learned something (best effort: a memo that cannot be written is only slower next time) */
  save(): void {
    if (!this.changed) return;
    const all = [...this.entries];
    const kept = all.length > MAX_ENTRIES ? all.slice(all.length - MAX_ENTRIES) : all;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ v: 1, entries: kept }), { mode: 0o600 });
      renameSync(tmp, this.file);
      this.changed = false;
      if (open.get(this.file)?.memo === this) open.set(this.file, { memo: this, stamp: memoFileStamp(this.file) });
    } catch {
      // read-only or full: next build reads the files again
    }
  }
}
