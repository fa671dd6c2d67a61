/**
 * Reading a container's json-file log (written by its monitor,
 * native/src/jsonlog.c, in Docker's format): one JSON object a line,
 * {"log":"...","stream":"stdout|stderr","time":"RFC3339Nano"}, rotated as
 * PATH.N-1 (oldest) ... PATH.1, PATH (newest). readLogs() gives the entries
 * in order with `tail`, `since` and `until`, and with `follow` goes on
 * reading as the monitor writes, across rotations, until the exit file
 * appears (the monitor writes it after the last entry).
 */
import { type BigIntStats, closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** a line of output with its "\n", or a piece of a longer line (Docker's 16 KiB partial entries) */
  log: string;
  /** as written: RFC 3339 in UTC */
  time: string;
  /** the same, in nanoseconds since the epoch */
  nanos: bigint;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 (any number of fractional digits up to 9) -> nanoseconds since the epoch; null if it is not. */
export function parseTime(text: string): bigint | null {
  const m = TIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone, sign, zh, zm] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return null;
  let nanos = BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
  if (zone !== 'Z') {
    const offset = (BigInt(Number(zh) * 60 + Number(zm)) * 60n) * 1_000_000_000n;
    nanos += sign === '+' ? -offset : offset;
  }
  return nanos;
}

/** Nanoseconds -> RFC 3339 in UTC with 9 fractional digits, as `docker logs --timestamps` prints them. */
export function formatTimestamp(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const frac = nanos % 1_000_000_000n;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, '0')}Z`;
}

/** One line of the log; null when it is not an entry. */
export function parseLogLine(line: string): LogEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { log, stream, time } = v as Record<string, unknown>;
  if (typeof log !== 'string' || (stream !== 'stdout' && stream !== 'stderr') || typeof time !== 'string') return null;
  const nanos = parseTime(time);
  return nanos === null ? null : { stream, log, time, nanos };
}

/** What `docker logs` prints for ENTRY. */
export function formatEntry(entry: LogEntry, options: { timestamps?: boolean } = {}): string {
  return options.timestamps ? `${formatTimestamp(entry.nanos)} ${entry.log}` : entry.log;
}

export interface ReadLogsOptions {
  /** only the last N entries (after since/until); all when absent */
  tail?: number;
  /** entries at or after this time (nanoseconds since the epoch) */
  since?: bigint;
  /** entries at or before this time; a follow ends once the clock passes it */
  until?: bigint;
  /** go on reading as the container writes, until EXIT_FILE exists */
  follow?: boolean;
  /** the container's exit file (required with follow) */
  exitFile?: string;
  /** how often a follow looks for more, ms (default 100) */
  pollMs?: number;
  /** ends a follow early */
  signal?: AbortSignal;
}

/** An open log file, read from OFFSET on; PENDING holds a line not yet complete. */
class LogReader {
  offset = 0;
  private pending = '';
  private readonly buf = Buffer.allocUnsafe(65536);

  constructor(readonly fd: number) {}

  /** when the file last changed, as of the last read that found something */
  mtime = 0n;

  /** The complete entries written since the last read. */
  read(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let got = false; ; got = true) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n === 0) {
        if (got) this.mtime = fstatSync(this.fd, { bigint: true }).mtimeNs;
        return out;
      }
      this.offset += n;
      const lines = (this.pending + this.buf.toString('utf8', 0, n)).split('\n');
      this.pending = lines.pop() ?? '';
      for (const line of lines) {
        const e = parseLogLine(line);
        if (e) out.push(e);
      }
    }
  }

  /** The file was truncated (max-file 1): start over. */
  restart(): void {
    this.offset = 0;
    this.pending = '';
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Identity of a file across renames: inode and birth time (inode numbers are reused). */
function fileKey(st: { ino: bigint; birthtimeNs: bigint }): string {
  return `${st.ino}:${st.birthtimeNs}`;
}

/** PATH's rotated files, oldest first: PATH.N ... PATH.1. */
function rotatedFiles(path: string): string[] {
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names
    .map((n) => (n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)) ? Number(n.slice(base.length + 1)) : 0))
    .filter((n) => n > 0)
    .sort((a, b) => b - a)
    .map((n) => join(dirname(path), `${base}.${n}`));
}

function openIfThere(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function wanted(e: LogEntry, options: ReadLogsOptions): boolean {
  return (options.since === undefined || e.nanos >= options.since) && (options.until === undefined || e.nanos <= options.until);
}

/** The container's log entries in order; see ReadLogsOptions. */
export async function* readLogs(path: string, options: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  // open every file first, so that a rotation while we read loses nothing
  const seen = new Set<string>();
  const readers: LogReader[] = [];
  for (const file of [...rotatedFiles(path), path]) {
    const fd = openIfThere(file);
    if (fd === null) continue;
    seen.add(fileKey(fstatSync(fd, { bigint: true })));
    readers.push(new LogReader(fd));
  }
  let current = readers.at(-1) ?? null;
  let currentKey = current ? fileKey(fstatSync(current.fd, { bigint: true })) : '';
  try {
    let first: LogEntry[] = [];
    for (const r of readers) {
      first.push(...r.read().filter((e) => wanted(e, options)));
      if (r !== current) r.close();
    }
    if (options.tail !== undefined) first = options.tail > 0 ? first.slice(-options.tail) : [];
    yield* first;
    if (!options.follow) return;

    const pollMs = options.pollMs ?? 100;
    let sameSizeChanged = false;
    for (;;) {
      // the monitor writes the exit file after the last entry: seen first, then read all
      const exited = options.exitFile !== undefined && existsSync(options.exitFile);
      const late = options.until !== undefined && BigInt(Date.now()) * 1_000_000n > options.until;
      if (current) yield* current.read().filter((e) => wanted(e, options));
      let st: BigIntStats | undefined;
      try {
        st = statSync(path, { bigint: true });
      } catch {
        st = undefined; // between the rename and the new file
      }
      if (st && fileKey(st) !== currentKey) {
        // rotated: the rest of the old file, then the files made since, then the new one
        if (current) {
          yield* current.read().filter((e) => wanted(e, options));
          current.close();
        }
        for (const file of rotatedFiles(path)) {
          const fd = openIfThere(file);
          if (fd === null) continue;
          const key = fileKey(fstatSync(fd, { bigint: true }));
          if (!seen.has(key)) {
            seen.add(key);
            yield* new LogReader(fd).read().filter((e) => wanted(e, options));
          }
          closeSync(fd);
        }
        const fd = openIfThere(path);
        current = fd === null ? null : new LogReader(fd);
        currentKey = fd === null ? '' : fileKey(fstatSync(fd, { bigint: true }));
        seen.add(currentKey);
        continue; // read the new file at once
      }
      // truncated (max-file 1): smaller, or as large as we read but changed since. The second only when a poll later
      // it still is: a write sets the file's mtime a moment before its size, and a stat in between must not count
      const offset = BigInt(current?.offset ?? 0);
      const changedInPlace = !!st && !!current && st.size === offset && st.mtimeNs !== current.mtime;
      if (st && current && (st.size < offset || (changedInPlace && sameSizeChanged))) {
        current.restart();
        sameSizeChanged = false;
        continue;
      }
      sameSizeChanged = changedInPlace;
      if (exited || late || options.signal?.aborted) return;
      try {
        await sleep(pollMs, undefined, { signal: options.signal });
      } catch {
        return; // aborted
      }
    }
  } finally {
    current?.close();
  }
}
