/**
 * GET /containers/{id}/stats: the engine's samples (engine/stats.ts) in
 * Docker's StatsResponse shape, with the fields the docker CLI computes
 * from: cpu_stats and precpu_stats (CPU % is their deltas), memory_stats
 * (usage already less the inactive page cache, so no `stats` to subtract),
 * blkio_stats, pids_stats, networks. Pure.
 */
import type { StatsSample } from '../engine/stats.js';

export interface StatsResponse {
  name: string;
  id: string;
  read: string;
  preread: string;
  pids_stats: { current: number };
  blkio_stats: { io_service_bytes_recursive: { major: number; minor: number; op: string; value: number }[] | null };
  num_procs: number;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>;
}

interface CpuStats {
  cpu_usage: { total_usage: number; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpu(s: StatsSample | undefined): CpuStats {
  return {
    cpu_usage: { total_usage: s?.cpuNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    ...(s ? { system_cpu_usage: s.systemNs, online_cpus: s.onlineCpus } : {}),
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** CUR, compared with PREV (none for the first of a stream, as dockerd's first has an empty precpu_stats). */
export function statsJson(id: string, name: string, cur: StatsSample, curAt: Date, prev?: StatsSample, prevAt?: Date): StatsResponse {
  return {
    name: `/${name}`,
    id,
    read: curAt.toISOString(),
    preread: prevAt ? prevAt.toISOString() : ZERO_TIME,
    pids_stats: { current: cur.pids },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: 'read', value: cur.blkRead },
        { major: 0, minor: 0, op: 'write', value: cur.blkWrite },
      ],
    },
    num_procs: 0,
    cpu_stats: cpu(cur),
    precpu_stats: cpu(prev),
    memory_stats: cur.memLimit ? { usage: cur.memUsage, limit: cur.memLimit, stats: {} } : {},
    networks: { eth0: { rx_bytes: cur.netRx, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: cur.netTx, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
  };
}
