/**
 * `update`'s decisions, pure: Docker's checks of the new limits (moby's
 * verifyPlatformContainerResources with update=true), how they merge into
 * the container's record (moby's UpdateContainer, with its conflicts), and
 * the OCI linux.resources the runtime writes to a running container's
 * cgroups (what `runc update --resources` takes).
 *
 * As Docker, a zero (or "") is "not given". One difference: Docker refuses
 * `update --memory` on a container whose memory+swap limit is unset (0) or
 * unlimited (-1) — "should be smaller than already set memoryswap limit" —
 * which is a bug there (moby issues 39541, pull 47874). Here the first gets
 * Docker's default for `run -m` (swap twice the memory) and the second
 * keeps unlimited swap; a set limit is refused as Docker does.
 */
import { MobyDickError } from '../errors.js';
import type { Resources } from '../spec/schema.js';
import type { ResourceLimits } from '../spec/spec-builder.js';
import { parseCpuList } from '../util/cpu-list.js';
import type { RestartPolicy } from './container-table.js';

/** What the host allows, as update checks it (Docker's sysinfo). */
export interface HostLimits {
  /** the online CPUs and memory nodes, as lists ("0-3") */
  cpus: string;
  mems: string;
  /** how many CPUs this process may run on (--cpus is at most that) */
  cpuCount: number;
  /** whether a block IO weight can be set */
  blkioWeight: boolean;
}

export interface UpdateRequest {
  memory?: number;
  /** memory + swap; -1 unlimited */
  memorySwap?: number;
  memoryReservation?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** 0 or less: unlimited */
  pidsLimit?: number;
  blkioWeight?: number;
  restart?: RestartPolicy;
}

/** The limits `update` may change, as the record keeps them. */
export type UpdatableLimits = Pick<
  ResourceLimits,
  'memory' | 'memorySwap' | 'memoryReservation' | 'nanoCpus' | 'cpuShares' | 'cpuPeriod' | 'cpuQuota' | 'cpusetCpus' | 'cpusetMems' | 'pidsLimit' | 'blkioWeight'
>;

export const UPDATABLE_KEYS = [
  'memory', 'memorySwap', 'memoryReservation', 'nanoCpus', 'cpuShares', 'cpuPeriod', 'cpuQuota', 'cpusetCpus', 'cpusetMems', 'pidsLimit', 'blkioWeight',
] as const satisfies readonly (keyof UpdatableLimits)[];

/** Docker's smallest memory limit and reservation (linuxMinMemory) */
export const MIN_MEMORY = 6 * 1024 * 1024;
const CFS_PERIOD = 100_000;

const given = (n: number | undefined): n is number => n !== undefined && n !== 0;

function invalid(message: string): MobyDickError {
  return new MobyDickError('USAGE', message);
}

function checkCpuset(requested: string, available: string, what: 'cpus' | 'mems'): void {
  const wanted = parseCpuList(requested);
  if (wanted === null) throw invalid(`Invalid value ${requested} for cpuset ${what}: invalid format: ${requested}`);
  const have = new Set(parseCpuList(available) ?? []);
  if (wanted.some((n) => !have.has(n))) {
    throw invalid(`Requested ${what === 'cpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${requested}, available: ${available}`);
  }
}

/**
 * Docker's checks of memory and CPU values that need no look at the host,
 * in its order and words: an update's (checkUpdate) and a create's.
 */
export function checkMemoryAndCpu(r: Pick<UpdateRequest, 'memory' | 'memorySwap' | 'memoryReservation' | 'nanoCpus' | 'cpuPeriod' | 'cpuQuota'>): void {
  const memory = r.memory ?? 0;
  const swap = r.memorySwap ?? 0;
  const reservation = r.memoryReservation ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) throw invalid('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (reservation > 0 && reservation < MIN_MEMORY) throw invalid('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) throw invalid('Minimum memory limit can not be less than memory reservation limit, see usage');
  const nano = r.nanoCpus ?? 0;
  if (nano > 0 && given(r.cpuPeriod)) throw invalid('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.cpuQuota ?? 0) > 0) throw invalid('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const period = r.cpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw invalid('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = r.cpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalid('CPU cfs quota can not be less than 1ms (i.e. 1000)');
}

/**
 * Docker's checks of an update request on HOST, in Docker's order and words
 * (each a 400 through the API). What the host cannot do is dropped with a
 * warning, as Docker does: the request to carry out, and the warnings.
 */
export function checkUpdate(req: UpdateRequest, host: HostLimits): { request: UpdateRequest; warnings: string[] } {
  const r = { ...req };
  const warnings: string[] = [];
  checkMemoryAndCpu(r);
  const nano = r.nanoCpus ?? 0;
  if (nano !== 0 && (nano < 0 || nano > host.cpuCount * 1e9)) {
    throw invalid(`range of CPUs is from 0.01 to ${host.cpuCount}.00, as there are only ${host.cpuCount} CPUs available`);
  }
  if (r.cpusetCpus) checkCpuset(r.cpusetCpus, host.cpus, 'cpus');
  if (r.cpusetMems) checkCpuset(r.cpusetMems, host.mems, 'mems');
  if ((r.blkioWeight ?? 0) > 0 && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    delete r.blkioWeight;
  }
  const weight = r.blkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw invalid('Range of blkio weight is from 10 to 1000');
  return { request: r, warnings };
}

export interface MergedUpdate {
  /** the record's limits after the update */
  limits: UpdatableLimits;
  restart?: RestartPolicy;
  /** what to write to the cgroups of a running container (only what changes) */
  resources: Resources;
}

/** the memory + swap limit in force: as recorded, or Docker's default (twice the memory), 0 for none */
function swapInForce(l: UpdatableLimits): number {
  return l.memorySwap ?? (l.memory ? l.memory * 2 : 0);
}

/**
 * REQ merged into CURRENT (the record's limits): Docker's conflicts (each
 * a 409 through the API, "Cannot update container ID: ..."), then the new
 * limits and the resources to write. AUTO_REMOVE: the container has --rm.
 */
export function mergeUpdate(id: string, current: UpdatableLimits, autoRemove: boolean, req: UpdateRequest): MergedUpdate {
  const conflict = (message: string): MobyDickError => new MobyDickError('USAGE', `Cannot update container ${id}: ${message}`, { container: id });
  const nano = req.nanoCpus ?? 0;
  if (nano > 0 && (current.cpuPeriod ?? 0) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (nano > 0 && (current.cpuQuota ?? 0) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((req.cpuPeriod ?? 0) > 0 && (current.nanoCpus ?? 0) > 0) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if ((req.cpuQuota ?? 0) > 0 && (current.nanoCpus ?? 0) > 0) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');

  const limits: UpdatableLimits = { ...current };
  const resources: Resources = {};
  const memoryChanged = given(req.memory) || given(req.memorySwap);
  if (given(req.memory)) {
    const swap = swapInForce(current);
    if (!given(req.memorySwap) && swap > 0 && req.memory > swap) {
      throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    limits.memorySwap = swap === 0 ? req.memory * 2 : swap;
    limits.memory = req.memory;
  }
  if (given(req.memorySwap)) limits.memorySwap = req.memorySwap;
  if (given(req.memoryReservation)) limits.memoryReservation = req.memoryReservation;
  const swap = swapInForce(limits);
  // what Docker leaves to the kernel to refuse ("invalid argument"), said in its own words
  if (memoryChanged && !limits.memory && swap > 0) throw invalid('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (limits.memory && swap > 0 && swap < limits.memory) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (limits.memory && limits.memoryReservation && limits.memory < limits.memoryReservation) {
    throw invalid('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (memoryChanged) resources.memory = { limit: limits.memory!, ...(swap !== 0 ? { swap } : {}) };
  if (given(req.memoryReservation)) resources.memory = { ...resources.memory, reservation: req.memoryReservation };

  const cpu: NonNullable<Resources['cpu']> = {};
  if (given(req.cpuShares)) cpu.shares = limits.cpuShares = req.cpuShares;
  if (given(req.nanoCpus)) {
    limits.nanoCpus = req.nanoCpus;
    cpu.period = CFS_PERIOD;
    cpu.quota = Math.round((req.nanoCpus * CFS_PERIOD) / 1e9);
  }
  if (given(req.cpuPeriod) || given(req.cpuQuota)) {
    if (given(req.cpuPeriod)) limits.cpuPeriod = req.cpuPeriod;
    if (given(req.cpuQuota)) limits.cpuQuota = req.cpuQuota;
    // both, as v2's cpu.max holds both in one file
    cpu.period = limits.cpuPeriod ?? CFS_PERIOD;
    cpu.quota = limits.cpuQuota ?? -1;
  }
  if (req.cpusetCpus) cpu.cpus = limits.cpusetCpus = req.cpusetCpus;
  if (req.cpusetMems) cpu.mems = limits.cpusetMems = req.cpusetMems;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (req.pidsLimit !== undefined) {
    if (req.pidsLimit > 0) limits.pidsLimit = req.pidsLimit;
    else delete limits.pidsLimit;
    resources.pids = { limit: req.pidsLimit > 0 ? req.pidsLimit : -1 };
  }
  if (given(req.blkioWeight)) {
    limits.blkioWeight = req.blkioWeight;
    resources.blockIO = { weight: req.blkioWeight };
  }
  if (req.restart && req.restart.name !== 'no' && autoRemove) {
    throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
  }
  return { limits, ...(req.restart ? { restart: req.restart } : {}), resources };
}
