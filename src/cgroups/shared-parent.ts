/**
 * A v1 parent cgroup whose children all get the same device rules and
 * cpuset (the jail's /moby-dick-jail): the parent holds them, and v1 copies
 * a parent's devices.list, and with cgroup.clone_children its cpuset.cpus
 * and cpuset.mems, into each new child at mkdir. Nothing is then written
 * per container. The parent is filled under a temporary name and renamed
 * into place, so no child is ever made under a parent half filled.
 */
import { mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';

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
}

const REAL: ParentOps = { mkdir: (d) => mkdirSync(d), rename: renameSync, rmdir: rmdirSync };

/**
 * mkdir of PARENT made whole by FILL before it appears: FILL writes into
 * PARENT.SUFFIX, which is renamed to PARENT (rename does not replace a
 * cgroup: when another made PARENT first, EEXIST, as mkdir would say).
 */
export function mkdirFilled(parent: string, fill: FillParent, suffix: string, ops: ParentOps = REAL): void {
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
export function fillingDirOps(parent: string, fill: FillParent, suffix: string, ops: ParentOps = REAL): Pick<ParentOps, 'mkdir'> {
  return { mkdir: (d) => (d === parent ? mkdirFilled(d, fill, suffix, ops) : ops.mkdir(d)) };
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
