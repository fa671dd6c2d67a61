/**
 * Docker's stream multiplexing ("stdcopy"), used for attach, logs and exec
 * without a TTY: each chunk goes out behind an 8-byte header — the stream
 * (0 stdin, 1 stdout, 2 stderr, 3 the system's error), three zero bytes,
 * the length as a big-endian u32. With a TTY the bytes go out raw.
 */
import { Writable } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEM_ERR = 3;

/** The largest payload one frame carries (larger chunks are split). */
const MAX_FRAME = 1 << 20;

export function frameHeader(stream: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(length, 4);
  return h;
}

/** DATA as frames of STREAM. */
export function frames(stream: number, data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += MAX_FRAME) {
    const chunk = data.subarray(off, off + MAX_FRAME);
    parts.push(frameHeader(stream, chunk.length), chunk);
  }
  return Buffer.concat(parts);
}

/** A Writable that puts what is written to it on OUT as frames of STREAM (raw when FRAMED is false); never ends OUT. */
export function streamWriter(out: Writable, stream: number, framed: boolean): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (out.destroyed || out.writableEnded) return cb();
      if (data.length === 0) return cb();
      if (out.write(framed ? frames(stream, data) : data)) cb();
      else out.once('drain', () => cb());
    },
  });
}

/** Splits a multiplexed stream back into frames (tests, and a client's view). */
export class FrameReader {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): { stream: number; data: Buffer }[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: { stream: number; data: Buffer }[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ stream: this.buf[0]!, data: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}
