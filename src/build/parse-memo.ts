/**
 * A memo of parsed Dockerfiles, so that a rebuild of the same Dockerfile
 * neither loads dockerfile-ast (~9 ms) nor parses with it (~9 ms for the
 * bench's 13 lines): the parse (dockerfile.ts's ParsedDockerfile, plain
 * data) kept under the sha256 of the text and of the parser that made it
 * (parserIdentity: parseDockerfile's own code and dockerfile-ast's bundle),
 * so another moby-dick never takes a parse it would make differently.
 * Kept in a JSON file in the store, written whole (a temp file renamed)
 * when it learned something; the MAX_ENTRIES used last. A file that cannot
 * be read or parsed is an empty memo.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ParsedDockerfile } from './dockerfile.js';

const MAX_ENTRIES = 32;

export class ParseMemo {
  private readonly entries = new Map<string, ParsedDockerfile>();
  private changed = false;

  constructor(
    private readonly file: string,
    private readonly parser: string,
  ) {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { v?: number; entries?: [string, ParsedDockerfile][] };
      if (doc.v === 1 && Array.isArray(doc.entries)) for (const [k, p] of doc.entries) if (typeof k === 'string' && Array.isArray(p?.instructions)) this.entries.set(k, p);
    } catch {
      // none yet, or unreadable: start empty
    }
  }

  private key(text: string): string {
    return createHash('sha256').update(`${this.parser}\0${text}`).digest('hex');
  }

  /** TEXT's parse: the memo's, else PARSE's (then kept) */
  async parse(text: string, parse: (text: string) => Promise<ParsedDockerfile>): Promise<ParsedDockerfile> {
    const key = this.key(text);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return structuredClone(hit);
    }
    const parsed = await parse(text);
    this.entries.set(key, structuredClone(parsed));
    this.changed = true;
    return parsed;
  }

  /** writes the memo when it learned something (best effort: one that cannot be written is only slower next time) */
  save(): void {
    if (!this.changed) return;
    const all = [...this.entries];
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ v: 1, entries: all.slice(Math.max(0, all.length - MAX_ENTRIES)) }), { mode: 0o600 });
      renameSync(tmp, this.file);
      this.changed = false;
    } catch {
      // read-only or full
    }
  }
}
