/**
 * `stats`: a container's resource use from its cgroups (OciRuntime.stats,
 * runc's event shape), turned into Docker's numbers. CPU % compares two
 * samples, as Docker does: the container's CPU time over the host's, times
 * the online CPUs. Memory is the usage less the inactive page cache, the
 * limit the host's memory when the cgroup has none.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Engine } from './engine.js';

export interface StatsSample {
  /** the container's CPU time, ns */
  cpuNs: number;
  /** the host's CPU time (all CPUs, busy and idle), ns */
  systemNs: number;
  onlineCpus: number;
  memUsage: number;
  memLimit: number;
  pids: number;
  blkRead: number;
  blkWrite: number;
  /** bytes the container received and sent on its networks (its veths' host ends count them the other way round) */
  netRx: number;
  netTx: number;
}

/** A counter of a host interface, 0 when it is gone. */
function linkCounter(ifname: string, counter: 'rx_bytes' | 'tx_bytes'): number {
  try {
    return Number(readFileSync(`/sys/class/net/${ifname}/statistics/${counter}`, 'utf8'));
  } catch {
    return 0;
  }
}

function networkBytes(engine: Engine, id: string): { netRx: number; netTx: number } {
  let netRx = 0;
  let netTx = 0;
  for (const e of engine.networks.endpoints(id)) {
    netRx += linkCounter(e.hostVeth, 'tx_bytes');
    netTx += linkCounter(e.hostVeth, 'rx_bytes');
  }
  return { netRx, netTx };
}

/** USER_HZ: /proc/stat counts in it; Linux has it 100 on every architecture we run on. */
const CLOCK_TICKS = 100;

/** The host's CPU time from /proc/stat's "cpu" line: user nice system idle iowait irq softirq, as Docker adds it. */
export function systemCpuNs(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, f) => a + Number(f), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

type RuncStats = {
  cpu?: { usage?: { total?: number } };
  memory?: { usage?: { usage?: number; limit?: number }; stats?: Record<string, number> };
  pids?: { current?: number };
  blkio?: { read?: number; write?: number };
};

/** One sample of a running container; zeros when it is not running (as Docker shows a stopped one). */
export function sample(engine: Engine, id: string, procStat = (): string => readFileSync('/proc/stat', 'utf8')): StatsSample {
  const host = { systemNs: systemCpuNs(procStat()), onlineCpus: cpus().length };
  let data: RuncStats;
  try {
    data = engine.runtime.stats(id).data as RuncStats;
  } catch {
    return { cpuNs: 0, ...host, memUsage: 0, memLimit: 0, pids: 0, blkRead: 0, blkWrite: 0, netRx: 0, netTx: 0 };
  }
  const usage = data.memory?.usage?.usage ?? 0;
  const s = data.memory?.stats ?? {};
  // the page cache the kernel can drop is not the container's use (v1 names it total_inactive_file)
  const inactive = s.total_inactive_file ?? s.inactive_file ?? 0;
  const limit = data.memory?.usage?.limit;
  return {
    cpuNs: data.cpu?.usage?.total ?? 0,
    ...host,
    memUsage: inactive < usage ? usage - inactive : usage,
    memLimit: limit === undefined || limit > totalmem() ? totalmem() : limit,
    pids: data.pids?.current ?? 0,
    blkRead: data.blkio?.read ?? 0,
    blkWrite: data.blkio?.write ?? 0,
    ...networkBytes(engine, id),
  };
}

/** Docker's CPU %: the container's share of the host's CPU time between two samples, times the CPUs. */
export function cpuPercent(prev: StatsSample, cur: StatsSample): number {
  const cpuDelta = cur.cpuNs - prev.cpuNs;
  const systemDelta = cur.systemNs - prev.systemNs;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * cur.onlineCpus * 100;
}

export function memPercent(s: StatsSample): number {
  return s.memLimit > 0 ? (s.memUsage / s.memLimit) * 100 : 0;
}
