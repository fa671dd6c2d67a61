/**
 * A removed container's directory removed after the answer: moved aside at
 * once (one rename into the store's removing/ directory, on the same
 * filesystem), its files deleted in the thread pool. For the Engine API's
 * service, where `rm` waited on a rmdir per directory (a few ms each on
 * these disks: most of a create+rm through the API). The CLI removes at
 * once: a process about to exit must not leave the work half done.
 *
 * What a killed service left in removing/ goes at the next start (sweep).
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export class BackgroundRemoval {
  private readonly pending = new Set<Promise<void>>();
  private n = 0;

  /** DIR: the store's removing/ directory (the containers' filesystem) */
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Removes what an earlier service left (in the background too). */
  sweep(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) this.track(join(this.dir, name));
  }

  /** PATH gone from its place now, its files soon; removed at once when it cannot be moved aside. */
  remove(path: string): void {
    const aside = join(this.dir, `${process.pid}-${this.n++}`);
    try {
      renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      rmSync(path, { recursive: true, force: true });
      return;
    }
    this.track(aside);
  }

  /** how many removals are under way */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves when every removal begun has ended. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  private track(path: string): void {
    const p: Promise<void> = rm(path, { recursive: true, force: true })
      .catch(() => rmSync(path, { recursive: true, force: true }))
      .catch(() => undefined)
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
