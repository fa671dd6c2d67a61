/**
 * Directories a build no longer needs (a RUN container's overlay dirs),
 * removed off the main thread: moved aside at once into one fresh
 * directory under TRASH_ROOT (a rename: microseconds), then deleted by the
 * thread pool while the build goes on. An rmdir costs 3-4 ms on the ext4
 * of these machines (mounted with discard), against about 6 us for a
 * rename; a build's stages share the main thread, so every synchronous
 * rmdir there held up the other stages too.
 *
 * The trash directory is named as the store names its temp entries
 * (owner.ts: pid, start time): one left behind by a killed build is removed
 * with them (LayerDirs.cleanTemp), as is one whose deletion failed.
 * settle() waits for the deletions. An ordinary user's build deletes through
 * REMOVE_TREE (rootless-steps.ts: `rm -rf` in the user namespace, the step
 * directories holding files of the user's subordinate ids).
 */
import { mkdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ownedName } from '../images/store/owner.js';

export class DeferredRemoval {
  private readonly pending: Promise<void>[] = [];

  /** TRASH_ROOT: a directory on the file system of what is removed; REMOVE_TREE deletes a directory tree (default fs's rm) */
  constructor(
    private readonly trashRoot: string,
    private readonly removeTree: (dir: string) => Promise<void> = (dir) => rm(dir, { recursive: true, force: true }),
  ) {}

  /**
   * PATHS (absolute; gone already is fine) moved aside and deleted in the
   * background. False, with PATHS as they were, when they cannot be moved
   * (another file system): the caller removes them itself.
   */
  remove(paths: readonly string[]): boolean {
    const trash = join(this.trashRoot, `${ownedName()}-trash`);
    try {
      mkdirSync(trash, { mode: 0o700 });
    } catch {
      return false;
    }
    const aside = paths.map((p, i) => join(trash, `${i}-${basename(p)}`));
    const moved: number[] = [];
    for (const [i, p] of paths.entries()) {
      try {
        renameSync(p, aside[i]!);
        moved.push(i);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        // put back what was moved: the caller removes it all
        for (const j of moved.reverse()) renameSync(aside[j]!, paths[j]!);
        this.pending.push(this.removeTree(trash));
        return false;
      }
    }
    this.pending.push(this.removeTree(trash));
    return true;
  }

  /**
   * Waits for every deletion begun; how many failed (their trash dirs are
   * left to the store's sweep of its temp dirs: a build does not fail for them).
   */
  async settle(): Promise<number> {
    const all = await Promise.allSettled(this.pending.splice(0));
    return all.filter((r) => r.status === 'rejected').length;
  }
}
