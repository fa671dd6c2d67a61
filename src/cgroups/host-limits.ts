/**
 * What the host's cgroups let a container be limited to, as `update`
 * checks it before writing (Docker's sysinfo): the CPUs and memory nodes
 * there are, and whether block IO weights exist (v1's blkio.weight needs
 * the CFQ or BFQ scheduler; many hosts have neither).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CgroupLayout } from './layout.js';

export interface HostLimits {
  /** the CPUs a container may be given, as a cpuset list ("0-3") */
  cpus: string;
  /** the memory nodes, as a list ("0") */
  mems: string;
  /** how many CPUs this process may run on (--cpus is at most that) */
  cpuCount: number;
  /** whether a block IO weight can be set */
  blkioWeight: boolean;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

export function readHostLimits(layout: CgroupLayout): HostLimits {
  const cpuCount = availableParallelism();
  const all = cpuCount > 1 ? `0-${cpuCount - 1}` : '0';
  if (layout.version === 1) {
    const mount = (c: string): string | undefined => layout.v1.find((h) => h.controllers.includes(c))?.mountPoint;
    const cpuset = mount('cpuset');
    const blkio = mount('blkio');
    return {
      cpus: (cpuset && (read(join(cpuset, 'cpuset.effective_cpus')) || read(join(cpuset, 'cpuset.cpus')))) || all,
      mems: (cpuset && (read(join(cpuset, 'cpuset.effective_mems')) || read(join(cpuset, 'cpuset.mems')))) || '0',
      cpuCount,
      blkioWeight: blkio !== undefined && (existsSync(join(blkio, 'blkio.weight')) || existsSync(join(blkio, 'blkio.bfq.weight'))),
    };
  }
  const root = layout.unified ?? '/sys/fs/cgroup';
  return {
    cpus: read(join(root, 'cpuset.cpus.effective')) || all,
    mems: read(join(root, 'cpuset.mems.effective')) || '0',
    cpuCount,
    blkioWeight: read(join(root, 'cgroup.controllers')).split(' ').includes('io'),
  };
}
