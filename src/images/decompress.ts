/**
 * Layer blobs come gzip- or zstd-compressed or plain; the first bytes tell
 * which, as Docker decides (a media type may say +gzip of a plain tar).
 * gzip through Node's zlib (faster here than the gzip binary); zstd through
 * fzstd, a small pure-JS decoder, loaded only when a zstd layer comes:
 * Node 20's zlib has no zstd.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Compression } from './manifest.js';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export function fileCompression(path: string): Compression {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return detectCompression(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

class ZstdDecoder extends Transform {
  constructor(private readonly decoder: import('fzstd').Decompress) {
    super();
    decoder.ondata = (data) => {
      if (data.length > 0) this.push(Buffer.from(data.buffer, data.byteOffset, data.length));
    };
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      done();
    } catch (e) {
      done(new Error(`zstd: ${(e as Error).message}`));
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (e) {
      done(new Error(`zstd: ${(e as Error).message}`));
    }
  }
}

/** A transform from COMPRESSION to the plain tar. */
export async function decompressor(compression: Compression): Promise<Transform> {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') {
    const { Decompress } = await import('fzstd');
    return new ZstdDecoder(new Decompress());
  }
  return new PassThrough();
}
