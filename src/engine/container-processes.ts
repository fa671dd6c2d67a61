/**
 * The processes of a running container, for `top`: the ones in its cgroup
 * (the runtime's ps). An ordinary user's container has no cgroup where no
 * cgroup v2 subtree is delegated to the user, so its processes are also
 * looked for in /proc, as rootless Podman does on such hosts: every process
 * in its init's PID namespace (its own, unless --pid host), else in its
 * user namespace (each rootless container has its own). The user may read
 * those namespace links even of processes running as its subordinate ids:
 * it owns their user namespace. A process of the host (the container's
 * pasta, its monitor) is in neither.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { isRootless } from '../rootless/rootless.js';
import type { ContainerView, EngineCore } from './engine-core.js';

/** What containerProcesses reads of /proc (tests give a fake). */
export interface ProcView {
  /** every pid of /proc */
  pids(): number[];
  /** the target of /proc/PID/ns/NS ("pid:[4026531836]"), null when it cannot be read */
  ns(pid: number | 'self', ns: 'pid' | 'user'): string | null;
}

export const REAL_PROC: ProcView = {
  pids: () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number),
  ns: (pid, ns) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/${ns}`);
    } catch {
      return null;
    }
  },
};

/** The processes in the namespaces of INIT (a rootless container's first process): its PID namespace when it is not ours, else its user namespace. */
export function namespaceProcesses(init: number, proc: ProcView = REAL_PROC): number[] {
  const kind = proc.ns(init, 'pid') !== proc.ns('self', 'pid') ? 'pid' : 'user';
  const want = proc.ns(init, kind);
  if (want === null || want === proc.ns('self', kind)) return [init];
  return proc.pids().filter((p) => p === init || proc.ns(p, kind) === want);
}

/** The pids top shows: CGROUP's (the runtime's ps), with ROOTLESS those of the namespaces of INIT too. */
export function containerProcesses(cgroup: readonly number[], init: number, rootless: boolean, proc: ProcView = REAL_PROC): number[] {
  if (!rootless || init <= 0) return [...cgroup];
  return [...new Set([...cgroup, ...namespaceProcesses(init, proc)])].sort((a, b) => a - b);
}

/** The pids of running container V for top, as the engine E sees them. */
export function topPids(e: Pick<EngineCore, 'runtime' | 'options'>, v: Pick<ContainerView, 'record' | 'pid'>): number[] {
  return containerProcesses(e.runtime.ps(v.record.id), v.pid, e.options.rootless ?? isRootless());
}
