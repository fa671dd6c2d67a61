/**
 * Reused input buffers for unpacking a layer from a file (unpackLayerFile).
 *
 * createReadStream reads each chunk in libuv's pool into a fresh 1 MiB
 * buffer: on this 2-core VM the pool thread competed with the main thread
 * and the addon's worker, the main thread waited for the next chunk, and
 * every fresh buffer cost its page faults and its garbage (bench/README.md,
 * "Layer unpacking"). Reading a file from the page cache synchronously is a
 * copy; reading into the same few buffers keeps them mapped.
 *
 * A buffer holds file data the worker writes later (the tar parser hands
 * out views of it, file-queue.ts passes them on without copying), so it is
 * reused only once the worker is past every operation queued while it was
 * the current chunk; and the newest chunk is never reused for the next one.
 * When all MAX buffers are held, take() waits for the worker to be done
 * with the oldest.
 */

/** how far the addon's worker is (LayerUnpacker, over FileQueue) */
export interface WorkerProgress {
  /** the id of the last operation queued */
  readonly lastId: number;
  /** the id of the last operation the worker is known to have finished */
  readonly doneId: number;
  /** blocks until the worker is past operation ID; throws if a queued file failed */
  waitFor(id: number): void;
}

export class InputRing {
  private readonly free: Buffer[] = [];
  /** oldest first: a filled buffer and the last operation that may point into it */
  private readonly held: { buf: Buffer; until: number }[] = [];
  private allocated = 0;

  constructor(
    private readonly worker: WorkerProgress,
    readonly chunkSize = 1 << 20,
    /** buffers at most (the worker queue's own limit is 16 MiB of data: it rarely needs more than that) */
    private readonly max = 24,
  ) {
    if (max < 2) throw new RangeError('an input ring needs two buffers at least');
  }

  /** how many buffers were made */
  get buffers(): number {
    return this.allocated;
  }

  /** a buffer to read the next chunk into */
  take(): Buffer {
    const held = this.held;
    while (held.length > 1 && held[0]!.until <= this.worker.doneId) this.free.push(held.shift()!.buf);
    const f = this.free.pop();
    if (f) return f;
    if (this.allocated < this.max) {
      this.allocated++;
      // a buffer of its own (not a slice of Node's pool): offset 0, so the
      // parser's aligned fast path applies
      return Buffer.allocUnsafeSlow(this.chunkSize);
    }
    const oldest = held.shift()!;
    this.worker.waitFor(oldest.until);
    return oldest.buf;
  }

  /** BUF (from take) was parsed and whatever it queued handed over */
  filled(buf: Buffer): void {
    this.held.push({ buf, until: this.worker.lastId });
  }

  /** BUF (from take) was not used */
  giveBack(buf: Buffer): void {
    this.free.push(buf);
  }
}
