/**
 * A container's lock: a flock under the run root. The monitor's
 * container-exited and a user's stop must not interleave, or a restart
 * could undo the stop; a start and a `cp` into the stopped container
 * (through an overlay of its own) must not either. Re-entrant within this
 * process (restart and the restart policy start under it).
 */
import { closeSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeAddon } from '../helper/native-addon.js';

export class ContainerLocks {
  /** containers whose lock this process holds: locked() inside locked() does not wait for itself */
  private readonly held = new Set<string>();

  /**
   * Lock files in DIR, taken with SYS; EXISTS says whether a container is
   * still there when its lock is released (a removed one keeps no lock file).
   */
  constructor(
    readonly dir: string,
    private readonly sys: () => Pick<NativeAddon, 'lock'>,
    private readonly exists: (id: string) => boolean,
  ) {}

  async locked<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    if (this.held.has(id)) return fn();
    const fd = this.take(id);
    try {
      return await fn();
    } finally {
      this.release(id, fd);
    }
  }

  /** locked() for a synchronous FN (rm: a removal and a container-exited must not interleave). */
  lockedSync<T>(id: string, fn: () => T): T {
    if (this.held.has(id)) return fn();
    const fd = this.take(id);
    try {
      return fn();
    } finally {
      this.release(id, fd);
    }
  }

  private take(id: string): number {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = this.sys().lock(join(this.dir, id));
    this.held.add(id);
    return fd;
  }

  private release(id: string, fd: number): void {
    this.held.delete(id);
    // a container removed meanwhile (by FN, or by `rm` before we got here) keeps no lock file
    if (!this.exists(id)) rmSync(join(this.dir, id), { force: true });
    closeSync(fd);
  }

}
