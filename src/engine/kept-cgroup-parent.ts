/**
 * A long-running engine (the library's openEngine) keeps its parent cgroup
 * (e.g. /moby-dick) in every hierarchy while it runs: made once, before its
 * first container, so no container's create makes it and no container's
 * removal tries it. Before, each container's exit work and its remove tried
 * an rmdir of it in every hierarchy (about 25 failing calls a container:
 * busy while another container was in it, gone already the second time),
 * and the next container made it again when it had gone. release() (at the
 * engine's close) removes it where no cgroup is left in it. A one-shot CLI
 * removes it as its last container goes (leftovers.ts removeEmptyParent).
 *
 * Best effort: a parent that cannot be made here (an ordinary user's
 * engine, an unusual cgroupsPath) is not kept, and removed as before.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupRoots, engineParentOf } from './leftovers.js';

/** the file-system calls it makes (tests give a temporary tree) */
export interface ParentDirOps {
  roots(): string[];
  mkdir(dir: string): void;
  rmdir(dir: string): void;
}

const REAL_OPS: ParentDirOps = { roots: cgroupRoots, mkdir: (d) => mkdirSync(d), rmdir: (d) => rmdirSync(d) };

export class KeptCgroupParents {
  /** the kept parents, as "/NAME" */
  private readonly kept = new Set<string>();
  /** parents that could not be made: not tried again */
  private readonly refused = new Set<string>();

  constructor(private readonly ops: ParentDirOps = REAL_OPS) {}

  /**
   * The parent of CGROUPS_PATH (a container's "/NAME/ID") made in every
   * hierarchy, once, and kept; whether it is kept. Where one mkdir fails
   * for another reason than EEXIST, the ones this made are removed again
   * and the parent is not kept.
   */
  keep(cgroupsPath: string): boolean {
    const parent = engineParentOf(cgroupsPath);
    if (!parent || this.refused.has(parent)) return false;
    if (this.kept.has(parent)) return true;
    const made: string[] = [];
    try {
      for (const root of this.ops.roots()) {
        const dir = join(root, parent);
        try {
          this.ops.mkdir(dir);
          made.push(dir);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
    } catch {
      for (const dir of made.reverse()) this.rmdirQuietly(dir);
      this.refused.add(parent);
      return false;
    }
    this.kept.add(parent);
    return true;
  }

  /** whether the parent of CGROUPS_PATH is kept (then a container's removal leaves it) */
  keeps(cgroupsPath: string): boolean {
    const parent = engineParentOf(cgroupsPath);
    return parent !== undefined && this.kept.has(parent);
  }

  /** Each kept parent removed where no cgroup is left in it (one still in use stays, for its last container to remove); kept no more. */
  release(): void {
    for (const parent of this.kept) for (const root of this.ops.roots()) this.rmdirQuietly(join(root, parent));
    this.kept.clear();
  }

  private rmdirQuietly(dir: string): void {
    try {
      this.ops.rmdir(dir);
    } catch {
      // in use by a container that runs on, or gone
    }
  }
}
