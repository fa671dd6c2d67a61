/** sha256 digests: of bytes at hand, and of a stream as it passes. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of sha256:<hex>. */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** Twelve hex digits, as Docker shows IDs and layers. */
export function shortId(digest: string): string {
  return digestHex(digest).slice(0, 12);
}

/** A pass-through that hashes and counts what goes through it. */
export class DigestCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  /** ON_PROGRESS is called with the bytes counted so far after each chunk */
  constructor(private readonly onProgress?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
    done(null, chunk);
  }

  /** Counts bytes that are already in place (a resumed download) without passing them on. */
  absorb(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  /** sha256:<hex> of everything seen; call once, after the end. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Docker's chain ID: the first layer's diff ID, then sha256("<parent chain> <diff id>"). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? d : sha256(`${parent} ${d}`));
  }
  return out;
}
