/**
 * A Writable to a file that gathers small writes (a tar's 512-byte headers
 * and small files: thousands of them for a build step's layer) into pieces
 * of a megabyte, each written with one synchronous write: a WriteStream
 * hands each small write to the thread pool, or many of them to one writev,
 * and that cost more than the bytes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

const PIECE = 1 << 20;

export class GatheringFileWriter extends Writable {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(PIECE);
  private used = 0;

  /** PATH is created (it must not exist) with MODE */
  constructor(path: string, mode = 0o600) {
    super({ highWaterMark: PIECE });
    this.fd = openSync(path, 'wx', mode);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    try {
      if (this.used + chunk.length > PIECE) this.writeOut();
      if (chunk.length >= PIECE) this.writeAll(chunk);
      else {
        chunk.copy(this.buf, this.used);
        this.used += chunk.length;
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _final(done: (e?: Error | null) => void): void {
    try {
      this.writeOut();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _destroy(e: Error | null, done: (e?: Error | null) => void): void {
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
    done(e);
  }

  private writeOut(): void {
    this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(b: Buffer): void {
    for (let off = 0; off < b.length; ) off += writeSync(this.fd, b, off, b.length - off);
  }
}
