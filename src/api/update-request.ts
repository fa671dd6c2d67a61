/**
 * POST /containers/{id}/update's body (Docker's UpdateConfig: the
 * Resources fields and RestartPolicy) to the engine's UpdateRequest, the
 * same request `moby-dick update` makes from its flags. Pure.
 *
 * As dockerd: a zero value is "not given" (the docker CLI sends every
 * field); PidsLimit 0 or less lifts the limit, and is ignored before API
 * 1.40. Fields dockerd's update leaves alone (Ulimits, Devices, ...) are
 * ignored here too; those it would carry out and moby-dick cannot are a
 * 400 naming them when set.
 */
import type { UpdateRequest } from '../engine/engine.js';
import { ApiError } from './errors.js';
import { integer, object, string } from './body.js';
import { compareVersions } from './version.js';

const UNSUPPORTED = ['CpuRealtimePeriod', 'CpuRealtimeRuntime', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps'] as const;

const POLICIES = ['no', 'always', 'unless-stopped', 'on-failure'] as const;

/** The body of an update (and the API version asked for) as the engine's request. */
export function updateRequestOf(body: unknown, version: string): UpdateRequest {
  const b = object(body, 'body') ?? {};
  for (const f of UNSUPPORTED) {
    const v = b[f];
    if (v === undefined || v === null || v === 0 || (Array.isArray(v) && v.length === 0)) continue;
    throw new ApiError(400, `${f} is not supported by moby-dick (got ${JSON.stringify(v)}); leave it unset`);
  }
  const r: UpdateRequest = {};
  const num = (field: string, key: keyof UpdateRequest): void => {
    const v = integer(b[field], field);
    if (v) (r as Record<string, number>)[key] = v;
  };
  num('Memory', 'memory');
  num('MemorySwap', 'memorySwap');
  num('MemoryReservation', 'memoryReservation');
  num('NanoCpus', 'nanoCpus');
  num('CpuShares', 'cpuShares');
  num('CpuPeriod', 'cpuPeriod');
  num('CpuQuota', 'cpuQuota');
  num('BlkioWeight', 'blkioWeight');
  const cpus = string(b.CpusetCpus, 'CpusetCpus');
  if (cpus) r.cpusetCpus = cpus;
  const mems = string(b.CpusetMems, 'CpusetMems');
  if (mems) r.cpusetMems = mems;
  const pids = integer(b.PidsLimit, 'PidsLimit');
  if (pids !== undefined && compareVersions(version, '1.40') >= 0) r.pidsLimit = pids > 0 ? pids : -1;
  const policy = object(b.RestartPolicy, 'RestartPolicy');
  const name = string(policy?.Name, 'RestartPolicy.Name') ?? '';
  const count = integer(policy?.MaximumRetryCount, 'RestartPolicy.MaximumRetryCount') ?? 0;
  if (name !== '') {
    if (!(POLICIES as readonly string[]).includes(name)) throw new ApiError(400, `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    if (name !== 'on-failure' && count !== 0) throw new ApiError(400, `invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (count < 0) throw new ApiError(400, 'invalid restart policy: maximum retry count must be a positive integer');
    r.restart = { name: name as (typeof POLICIES)[number], maximumRetryCount: count };
  }
  return r;
}
