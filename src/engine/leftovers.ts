/**
 * What a container can leave when the OCI runtime's state is gone (a host
 * reboot wipes the run root, or a create killed before it wrote its state):
 * its cgroups, at cgroupsPath in every hierarchy, perhaps still with
 * processes in them. `rm -f` removes those too: the processes are killed
 * (SIGKILL; a frozen cgroup thawed first) and the container's own cgroup
 * directories removed — never the shared parent (/moby-dick).
 */
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupDir } from '../cgroups/cgroup.js';
import { readCgroupLayout } from '../cgroups/layout.js';
import { sleepSync } from '../linux/sleep.js';
import { isRootless } from '../rootless/rootless.js';
import { userDelegation } from './rootless-container.js';

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** the hierarchies' mount points, read once a process: a long-running engine asked for each container removed */
let roots: string[] | undefined;

/**
 * the mount point of every hierarchy (each v1 one, and the unified one);
 * an ordinary user's containers' cgroups are below the cgroup delegated to
 * the user (rootless-container.ts), none without one
 */
export function cgroupRoots(): string[] {
  if (!roots && isRootless()) {
    const delegation = userDelegation();
    roots = delegation ? [delegation.dir] : [];
  }
  if (!roots) {
    const layout = readCgroupLayout();
    roots = [...layout.v1.map((h) => h.mountPoint), ...(layout.unified ? [layout.unified] : [])];
  }
  return roots;
}

/** the container's cgroup directories that exist, one per hierarchy */
export function cgroupDirsOf(cgroupsPath: string): string[] {
  return cgroupRoots().map((r) => join(r, cgroupsPath)).filter((d) => existsSync(d));
}

/** The engine's own one-level parent ("/moby-dick") of a container's CGROUPS_PATH ("/moby-dick/ID"); none for a deeper or a top-level path. */
export function engineParentOf(cgroupsPath: string): string | undefined {
  const levels = cgroupsPath.split('/').filter(Boolean);
  return levels.length === 2 ? `/${levels[0]}` : undefined;
}

/** Kills what is left in the cgroups at CGROUPS_PATH and removes them; the ones still busy after ~2 s stay. */
export function removeLeftoverCgroups(cgroupsPath: string): void {
  if (!/^\/[^/]+\/[a-f0-9]{64}$/.test(cgroupsPath)) return; // only a container's own leaf, as the engine names them
  const dirs = cgroupDirsOf(cgroupsPath);
  for (const dir of dirs) {
    try {
      if (existsSync(join(dir, 'freezer.state'))) writeFileSync(join(dir, 'freezer.state'), 'THAWED');
      else if (existsSync(join(dir, 'cgroup.freeze'))) writeFileSync(join(dir, 'cgroup.freeze'), '0');
    } catch {
      // nothing frozen there
    }
  }
  for (let round = 0; round < 400; round++) {
    const pids = [...new Set(dirs.flatMap(pidsIn))];
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    sleepSync(5);
  }
  for (const dir of dirs) removeCgroupDir(dir, 100, 20);
}

/**
 * The engine's parent cgroup (e.g. /moby-dick) in every hierarchy, removed
 * once no container is left under it: each container removes only its own
 * leaf, and the one that made the parent is rarely the last to go. rmdir
 * fails harmlessly while another container still has its cgroup there.
 */
export function removeEmptyParent(cgroupsPath: string): void {
  const parent = engineParentOf(cgroupsPath);
  if (!parent) return; // only the engine's own one-level parent
  for (const dir of cgroupDirsOf(parent)) {
    try {
      rmdirSync(dir);
    } catch {
      // still in use by another container
    }
  }
}

/** The engine's parent cgroup: MOBY_DICK_CGROUP_PARENT (tests give theirs a test prefix), else moby-dick. */
export function cgroupParent(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.MOBY_DICK_CGROUP_PARENT;
  return p && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(p) ? p : 'moby-dick';
}
