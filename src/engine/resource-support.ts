/**
 * The resources of a create request that the host can carry out, as
 * Docker's daemon checks them at create: --cpuset-cpus and --cpuset-mems
 * name CPUs and memory nodes that are online (Docker's words when not);
 * --blkio-weight 10..1000, and dropped with Docker's warning where the
 * kernel has no blkio weight; --oom-kill-disable dropped with Docker's
 * warning on cgroup v2 (it has no such switch).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CgroupLayout, readCgroupLayout } from '../cgroups/layout.js';
import { MobyDickError } from '../errors.js';
import type { ResourceLimits } from '../spec/spec-builder.js';
import { parseCpuList } from '../util/cpu-list.js';

export interface HostResources {
  layout: CgroupLayout;
  /** the online CPUs and memory nodes, in the kernel's list format */
  cpus: string;
  mems: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

export function hostResources(): HostResources {
  return { layout: readCgroupLayout(), cpus: readOr('/sys/devices/system/cpu/online', '0'), mems: readOr('/sys/devices/system/node/online', '0') };
}

function checkList(text: string, online: string, what: 'cpus' | 'mems'): void {
  const asked = parseCpuList(text);
  if (asked === null) throw new MobyDickError('USAGE', `Invalid value ${text} for cpuset ${what}`, { subject: text, hint: 'give a list such as 0-2,4' });
  const have = new Set(parseCpuList(online) ?? []);
  if (asked.some((n) => !have.has(n))) {
    const word = what === 'cpus' ? 'CPUs' : 'memory nodes';
    throw new MobyDickError('USAGE', `Requested ${word} are not available - requested ${text}, available: ${online}`, { subject: text });
  }
}

/** whether a block IO weight can be set (v1's blkio.weight needs CFQ or BFQ; v2's io controller) */
export function blkioWeightSupported(layout: CgroupLayout): boolean {
  if (layout.version === 2) return layout.unified !== null && readOr(join(layout.unified, 'cgroup.controllers'), '').split(' ').includes('io');
  const blkio = layout.v1.find((h) => h.controllers.includes('blkio'));
  return blkio !== undefined && existsSync(join(blkio.mountPoint, 'blkio.weight'));
}

/** LIMITS as the host can carry them out; what it cannot is dropped with WARN, as Docker does. */
export function supportedResources<T extends ResourceLimits>(limits: T, warn: (message: string) => void, host?: HostResources): T {
  const out = { ...limits };
  // the host is read only for a container that asks for these (most do not)
  if (out.cpusetCpus === undefined && out.cpusetMems === undefined && !out.blkioWeight && !out.oomKillDisable) return out;
  host ??= hostResources();
  if (out.cpusetCpus !== undefined) checkList(out.cpusetCpus, host.cpus, 'cpus');
  if (out.cpusetMems !== undefined) checkList(out.cpusetMems, host.mems, 'mems');
  if (out.blkioWeight !== undefined && out.blkioWeight !== 0) {
    if (!Number.isInteger(out.blkioWeight) || out.blkioWeight < 10 || out.blkioWeight > 1000) {
      throw new MobyDickError('USAGE', 'Range of blkio weight is from 10 to 1000', { subject: String(out.blkioWeight) });
    }
    if (!blkioWeightSupported(host.layout)) {
      warn('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
      delete out.blkioWeight;
    }
  }
  if (out.oomKillDisable && host.layout.version === 2) {
    warn('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    delete out.oomKillDisable;
  }
  if (out.oomKillDisable && out.memory === undefined) warn('Disabling the OOM killer on containers without setting a \'-m/--memory\' limit may be dangerous.');
  return out;
}
