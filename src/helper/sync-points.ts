/**
 * The engine's side of the plan's sync points. The child may reach a sync
 * before the helper has reported its pid (they write to the same pipe from
 * two processes), so a sync waits here until the pid is known: work such as
 * writing cgroup.procs must never run with pid 0, which means "the writer".
 *
 * The work at a sync point may be asynchronous (a promise): the child is
 * resumed once it has settled, and the event loop runs on meanwhile (v1's
 * first cgroup.procs write of a burst waits ~12 ms in the kernel for an
 * RCU grace period; done in libuv's thread pool, it no longer stops every
 * other container and request of the process). Syncs run one after the
 * other in the order they came. When asynchronous work fails, the child is
 * not resumed and `failure` rejects with that error: the caller stops
 * waiting for the child's records and kills it.
 */
import { encodeResume } from './plan-wire.js';

/** the engine's work at sync point NAME of the child PID; a promise: resume once it has settled */
export type SyncWork = (name: string, pid: number) => void | Promise<void>;

export class SyncPoints {
  private pid = 0;
  private pending: string[] = [];
  /** the asynchronous work under way (the next sync runs after it) */
  private chain: Promise<void> | undefined;
  private fail: (e: unknown) => void = () => {};
  /** rejects with the first error of asynchronous sync work; never resolves */
  readonly failure: Promise<never>;

  constructor(
    private readonly onSync: SyncWork | undefined,
    private readonly resume: (message: Buffer) => void,
  ) {
    this.failure = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failure.catch(() => {}); // a caller that never races it must not see an unhandled rejection
  }

  gotPid(pid: number): void {
    this.pid = pid;
    const pending = this.pending;
    this.pending = [];
    for (const name of pending) this.run(name);
  }

  gotSync(name: string): void {
    if (this.pid === 0) this.pending.push(name);
    else this.run(name);
  }

  private run(name: string): void {
    if (this.chain) {
      this.chain = this.chain.then(() => this.runAsync(name));
      return;
    }
    // synchronous work throws to the caller, as before; a promise is waited for
    const r = this.onSync?.(name, this.pid);
    if (!(r instanceof Promise)) {
      this.resume(encodeResume(name));
      return;
    }
    this.chain = this.settle(name, r);
  }

  private async runAsync(name: string): Promise<void> {
    await this.settle(name, Promise.resolve().then(() => this.onSync?.(name, this.pid)));
  }

  private async settle(name: string, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (e) {
      this.fail(e);
      // the child stays parked at this sync: the caller kills it; the syncs after it never run
      await new Promise<never>(() => {});
    }
    this.resume(encodeResume(name));
  }
}
