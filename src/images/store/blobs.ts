/**
 * Content-addressed blobs: blobs/sha256/<hex>. A blob is written to
 * ingest/<owner>-... first and renamed into place only after its sha256 and
 * size check out, so a blob under blobs/ is always whole and right; a
 * killed writer leaves at most an ingest file, which the next writer
 * removes once its owner is dead.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestCounter, digestHex } from '../digest.js';
import { MobyDickError } from '../../errors.js';
import { isAlive, ownedName, ownerOfName } from './owner.js';
import type { SpaceGuard } from './space.js';

/** A blob whose bytes are not what its digest or size says. */
export class BlobVerifyError extends Error {}

/** Fails the stream once more than LIMIT bytes went through it. */
class SizeLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new BlobVerifyError(`more than the ${this.limit} bytes the manifest says`));
    else done(null, chunk);
  }
}

/** Shows GUARD every chunk before it goes on to be written (it throws to stop the write). */
export class Guarded extends Transform {
  constructor(private readonly guard: SpaceGuard) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.guard.add(chunk.length);
    } catch (e) {
      done(e as Error);
      return;
    }
    done(null, chunk);
  }
}

/**
 * A write stream on PATH, opened now: a stream that opens its file itself
 * does so later, so a pipeline that fails first (a size or digest check)
 * could remove the path before the open made it again, leaving an ingest
 * file behind.
 */
function fileSink(path: string, flags: 'a' | 'w'): WriteStream {
  return createWriteStream(path, { fd: openSync(path, flags, 0o600) });
}

/** What a killed download left: its file, taken over, and how many bytes it holds. */
export interface Partial {
  path: string;
  bytes: number;
}

/** how long a killed download's file is kept for a pull to resume it */
const RESUMABLE_MS = 24 * 3600 * 1000;

export interface IngestOptions {
  /** the size the manifest gives; more or fewer bytes fail */
  size?: number;
  /** continue this partial file: SOURCE is the rest of the blob */
  partial?: Partial;
  /** called with the number of bytes written so far */
  onProgress?: (bytes: number) => void;
  /** names the write in an error of the space guard (default: "writing blob DIGEST") */
  what?: string;
}

export class BlobStore {
  readonly dir: string;
  readonly ingestDir: string;
  /** watches every write of a blob: the store's free space (set by the image store, space.ts) */
  guard?: (what: string) => SpaceGuard;

  constructor(root: string) {
    this.dir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  path(digest: string): string {
    return join(this.dir, digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  /**
   * The blob's bytes, read 1 MiB at a time: unpacking a 108 MiB gzip layer
   * from 64 KiB reads (the default) spent about 0.2 s more per pull in
   * stream overhead (bench/README.md, "Images").
   */
  stream(digest: string): Readable {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Every blob on disk, as sha256:<hex>. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }

  /**
   * Writes SOURCE to an ingest file (or after the bytes of a partial one)
   * and checks it against DIGEST and the size, when given. Returns the
   * ingest path, to be committed by a lease; on any failure the ingest file
   * is gone.
   */
  async ingest(digest: string, source: Readable, opts: IngestOptions = {}): Promise<string> {
    const tmp = opts.partial?.path ?? join(this.ingestDir, `${ownedName()}-${digestHex(digest)}`);
    const counter = new DigestCounter(opts.onProgress);
    try {
      if (opts.partial) {
        for await (const c of createReadStream(tmp, { end: opts.partial.bytes - 1 })) counter.absorb(c as Buffer);
        if (counter.bytes !== opts.partial.bytes) throw new BlobVerifyError(`the partial download of ${digest} changed while it was read`);
      }
      const stages: (Readable | Transform)[] = [source];
      if (opts.size !== undefined) stages.push(new SizeLimit(opts.size - counter.bytes));
      const guard = this.guard?.(opts.what ?? `writing blob ${digest}`);
      if (guard) {
        guard.check(opts.size === undefined ? 0 : opts.size - counter.bytes);
        stages.push(new Guarded(guard));
      }
      await pipeline([...stages, counter, fileSink(tmp, opts.partial ? 'a' : 'w')]);
      if (opts.size !== undefined && counter.bytes !== opts.size) {
        throw new BlobVerifyError(`truncated: got ${counter.bytes} of ${opts.size} bytes`);
      }
      const got = counter.digest();
      if (got !== digest) throw new BlobVerifyError(`digest mismatch: the content has digest ${got}`);
      return tmp;
    } catch (e) {
      rmSync(tmp, { force: true });
      if (e instanceof BlobVerifyError || e instanceof MobyDickError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw e;
      // a network error mid-body ("terminated", ECONNRESET): say how far it got
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      const why = [(e as Error).message, cause].filter(Boolean).join(': ');
      throw new BlobVerifyError(`download interrupted after ${counter.bytes}${opts.size === undefined ? '' : ` of ${opts.size}`} bytes: ${why}`);
    }
  }

  /**
   * Writes SOURCE, whose digest is not known beforehand (a file of an
   * archive, an imported tarball), to an ingest file under DIR (default: the
   * ingest directory) and says what it holds. The caller commits it under a
   * lease (Lease.commitBlob) or removes it; a failure removes it here.
   */
  async ingestUnknown(source: AsyncIterable<Buffer>, dir = this.ingestDir, name = `${ownedName()}-unknown`): Promise<{ path: string; digest: string; size: number }> {
    const path = join(dir, name);
    const counter = new DigestCounter();
    try {
      const guard = this.guard?.(`writing ${path}`);
      guard?.check();
      if (guard) await pipeline(source, new Guarded(guard), counter, fileSink(path, 'w'));
      else await pipeline(source, counter, fileSink(path, 'w'));
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
    return { path, digest: counter.digest(), size: counter.bytes };
  }

  /**
   * Takes over what a killed process downloaded of DIGEST (the largest such
   * file), renamed to this process so that no other takes it too.
   */
  adoptPartial(digest: string): Partial | undefined {
    const hex = digestHex(digest);
    const candidates = readdirSync(this.ingestDir)
      .filter((n) => n.endsWith(`-${hex}`))
      .filter((n) => {
        const owner = ownerOfName(n);
        return owner !== undefined && !isAlive(owner);
      })
      .map((n) => ({ n, size: statSync(join(this.ingestDir, n), { throwIfNoEntry: false })?.size ?? 0 }))
      .sort((a, b) => b.size - a.size);
    for (const { n } of candidates) {
      const mine = join(this.ingestDir, `${ownedName()}-${hex}`);
      try {
        renameSync(join(this.ingestDir, n), mine);
      } catch {
        continue; // another process took it first
      }
      const bytes = statSync(mine).size;
      if (bytes > 0) return { path: mine, bytes };
      rmSync(mine, { force: true });
    }
    return undefined;
  }

  /**
   * Removes ingest files whose writer is dead; with KEEP_RESUMABLE, not the
   * downloads of the last day, which a pull may resume (adoptPartial).
   */
  cleanIngest(keepResumable: boolean): void {
    const now = Date.now();
    for (const name of readdirSync(this.ingestDir)) {
      const owner = ownerOfName(name);
      if (owner && isAlive(owner)) continue;
      const path = join(this.ingestDir, name);
      if (keepResumable && owner && /-[a-f0-9]{64}$/.test(name) && now - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) < RESUMABLE_MS) continue;
      rmSync(path, { force: true, recursive: true });
    }
  }
}
