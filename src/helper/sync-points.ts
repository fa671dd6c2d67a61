/**
 * The engine's side of the plan's sync points. The child may reach a sync
 * before the helper has reported its pid (they write to the same pipe from
 * two processes), so a sync waits here until the pid is known: work such as
 * writing cgroup.procs must never run with pid 0, which means "the writer".
 */
import { encodeResume } from './plan-wire.js';

export class SyncPoints {
  private pid = 0;
  private pending: string[] = [];

  constructor(
    private readonly onSync: ((name: string, pid: number) => void) | undefined,
    private readonly resume: (message: Buffer) => void,
  ) {}

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
    this.onSync?.(name, this.pid);
    this.resume(encodeResume(name));
  }
}
