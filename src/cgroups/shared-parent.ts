/**
 * A v1 parent cgroup whose children all get the same device rules and
 * cpuset (the jail's /moby-dick-jail): the parent holds them, and v1 copies
 * a parent's devices.list, and with cgroup.clone_children its cpuset.cpus
 * and cpuset.mems, into each new child at mkdir. Nothing is then written
 * per container. The parent is filled under a temporary name and renamed
 * into place, so no child is ever made under a parent half filled. A maker
 * killed between the two leaves its temporary parent behind: those whose
 * maker is gone are swept when the parent is next made.
 */
import { mkdirSync, readdirSync, renameSync, rmdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** writes what the children are to inherit into a fresh parent directory */
export type FillParent = (dir: string) => void;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** the file system calls, tests give their own */
export interface ParentOps {
  mkdir(dir: string): void;
  rename(from: string, to: string): void;
  rmdir(dir: string): void;
  /** the names in DIR */
  list(dir: string): string[];
}

export const REAL_PARENT_OPS: ParentOps = { mkdir: (d) => mkdirSync(d), rename: renameSync, rmdir: rmdirSync, list: (d) => readdirSync(d) };
const REAL = REAL_PARENT_OPS;

/** Whether the temporary parent named with SUFFIX (PARENT.SUFFIX) was left by a maker that is gone. */
export type StaleTemporary = (suffix: string) => boolean;

/**
 * Removes the temporary parents PARENT.SUFFIX whose maker is gone (STALE):
 * left by one killed between their mkdir and rename. rmdir refuses a
 * cgroup with a process or a cgroup in it (EBUSY): such a one stays. The
 * paths removed.
 */
export function sweepTemporaries(parent: string, stale: StaleTemporary, ops: ParentOps = REAL): string[] {
  const prefix = `${basename(parent)}.`;
  let names: string[];
  try {
    names = ops.list(dirname(parent));
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !stale(name.slice(prefix.length))) continue;
    const dir = join(dirname(parent), name);
    try {
      ops.rmdir(dir);
      swept.push(dir);
    } catch {
      // in use after all (EBUSY), or swept by another meanwhile
    }
  }
  return swept;
}

/**
 * mkdir of PARENT made whole by FILL before it appears: FILL writes into
 * PARENT.SUFFIX, which is renamed to PARENT (rename does not replace a
 * cgroup: when another made PARENT first, EEXIST, as mkdir would say).
 * First the temporary parents of makers that are gone (STALE) are swept.
 */
export function mkdirFilled(parent: string, fill: FillParent, suffix: string, ops: ParentOps = REAL, stale?: StaleTemporary): void {
  if (stale) sweepTemporaries(parent, stale, ops);
  const temporary = `${parent}.${suffix}`;
  ops.mkdir(temporary);
  try {
    fill(temporary);
    ops.rename(temporary, parent);
  } catch (e) {
    try {
      ops.rmdir(temporary);
    } catch {
      // gone already
    }
    if (code(e) === 'ENOTEMPTY') throw Object.assign(new Error(`${parent}: made by another meanwhile`), { code: 'EEXIST' });
    throw e;
  }
}

/** makeCgroupDirs' operations where PARENT, when it is made, is made by mkdirFilled */
export function fillingDirOps(parent: string, fill: FillParent, suffix: string, ops: ParentOps = REAL, stale?: StaleTemporary): Pick<ParentOps, 'mkdir'> {
  return { mkdir: (d) => (d === parent ? mkdirFilled(d, fill, suffix, ops, stale) : ops.mkdir(d)) };
}

/**
 * DIR, just made, did not inherit what its parent should hold: the parent
 * was made without it (by an older moby-dick, which kept it). DIR is
 * removed, and the parent too when no other cgroup is in it, so that
 * makeCgroupDirs makes it whole next: 'parent' then, 'dir' when the parent
 * stays (another container's cgroup is in it), 'kept' when DIR could not
 * be removed.
 */
export function dropUnfilledParent(dir: string, ops: ParentOps = REAL): 'parent' | 'dir' | 'kept' {
  try {
    ops.rmdir(dir);
  } catch {
    return 'kept';
  }
  try {
    ops.rmdir(dirname(dir));
    return 'parent';
  } catch {
    return 'dir';
  }
}
