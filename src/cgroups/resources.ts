/**
 * linux.resources -> the cgroup files to write, for v1 and for v2. Pure:
 * the writer (cgroup.ts) carries the list out, and tests check it against a
 * fake cgroupfs tree.
 */
import { MobyDickError } from '../errors.js';
import type { Resources } from '../spec/schema.js';
import type { DeviceRule } from './device-filter.js';

export interface CgroupWrite {
  /** v1: the controller whose hierarchy holds the file; v2: "unified" */
  controller: string;
  file: string;
  value: string;
}

function unsupported(field: string, why: string): MobyDickError {
  return new MobyDickError('INVALID_CONFIG', `config.json: linux.resources.${field}: ${why}`, { subject: `linux.resources.${field}` });
}

const dev = (major?: number, minor?: number): string => `${major === undefined || major < 0 ? '*' : major}:${minor === undefined || minor < 0 ? '*' : minor}`;


/**
 * What every container may use whatever its rules say, as runc adds them:
 * mknod of any node (using it is another matter), the standard devices, the
 * terminals. Appended after the spec's own rules.
 */
export const DEFAULT_ALLOWED_DEVICES: readonly DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

/**
 * The device rules of a container: the spec's, then the defaults, then its
 * linux.devices that no rule of the spec's allows already (those keep the
 * access the spec gives them: `--device HOST:CONTAINER:r`).
 */
export function deviceRules(resources: Resources | undefined, devices: readonly { type: string; major?: number; minor?: number }[] = []): Resources {
  const own = resources?.devices ?? [];
  const ruled = (d: { type: string; major?: number; minor?: number }): boolean =>
    own.some((r) => r.allow && r.type === d.type && r.major === d.major && r.minor === d.minor);
  const listed: DeviceRule[] = devices
    .filter((d) => (d.type === 'c' || d.type === 'b') && !ruled(d))
    .map((d) => ({ allow: true, type: d.type as 'c' | 'b', major: d.major, minor: d.minor, access: 'rwm' }));
  return { ...resources, devices: [...own, ...DEFAULT_ALLOWED_DEVICES, ...listed] };
}

/**
 * As runc: a zero in these numeric limits means "not set" (Docker sends
 * blockIO.weight 0, for one, on kernels that have no blkio.weight).
 */
const set = (v: number | undefined): v is number => v !== undefined && v !== 0;

const MEMORY = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

/**
 * memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes, in
 * either order of writing: raising both (or lifting swap's limit, -1) must
 * write memsw first, lowering them the memory limit first, as runc does.
 * CURRENT is the memory limit the cgroup has now (create: none, so memory
 * first).
 */
export function orderMemoryWrites(writes: readonly CgroupWrite[], current: bigint | undefined): CgroupWrite[] {
  const memory = writes.find((w) => w.controller === 'memory' && w.file === MEMORY);
  const memsw = writes.find((w) => w.controller === 'memory' && w.file === MEMSW);
  if (!memory || !memsw || current === undefined) return [...writes];
  const raising = memsw.value === '-1' || BigInt(memory.value) > current;
  if (!raising) return [...writes];
  // memsw takes the memory limit's place, the memory limit goes right after it
  return writes.flatMap((w) => (w === memory ? [memsw, memory] : w === memsw ? [] : [w]));
}

export function planV1(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const put = (controller: string, file: string, value: string | number): void => void w.push({ controller, file, value: String(value) });
  const m = r.memory;
  if (m) {
    if (set(m.limit)) put('memory', 'memory.limit_in_bytes', m.limit);
    if (set(m.reservation)) put('memory', 'memory.soft_limit_in_bytes', m.reservation);
    // memsw (memory+swap) must not go below the memory limit: written after it (an update that raises
    // both is reordered by orderMemoryWrites)
    if (set(m.swap)) put('memory', 'memory.memsw.limit_in_bytes', m.swap);
    if (set(m.kernelTCP)) put('memory', 'memory.kmem.tcp.limit_in_bytes', m.kernelTCP);
    if (m.swappiness !== undefined) put('memory', 'memory.swappiness', m.swappiness);
    if (m.disableOOMKiller) put('memory', 'memory.oom_control', 1);
  }
  const c = r.cpu;
  if (c) {
    if (set(c.shares)) put('cpu', 'cpu.shares', c.shares);
    if (set(c.period)) put('cpu', 'cpu.cfs_period_us', c.period);
    if (set(c.quota)) put('cpu', 'cpu.cfs_quota_us', c.quota);
    if (set(c.burst)) put('cpu', 'cpu.cfs_burst_us', c.burst);
    if (set(c.realtimePeriod)) put('cpu', 'cpu.rt_period_us', c.realtimePeriod);
    if (set(c.realtimeRuntime)) put('cpu', 'cpu.rt_runtime_us', c.realtimeRuntime);
    if (c.cpus) put('cpuset', 'cpuset.cpus', c.cpus);
    if (c.mems) put('cpuset', 'cpuset.mems', c.mems);
    if (c.idle !== undefined) throw unsupported('cpu.idle', 'needs cgroup v2');
  }
  if (r.pids && set(r.pids.limit)) put('pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
  const b = r.blockIO;
  if (b) {
    if (set(b.weight)) put('blkio', 'blkio.weight', b.weight);
    if (set(b.leafWeight)) put('blkio', 'blkio.leaf_weight', b.leafWeight);
    for (const d of b.weightDevice ?? []) {
      if (d.weight !== undefined) put('blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`);
      if (d.leafWeight !== undefined) put('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
    }
    const throttle: [keyof typeof b, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    for (const [field, file] of throttle) {
      for (const d of (b[field] as { major: number; minor: number; rate: number }[] | undefined) ?? []) put('blkio', file, `${d.major}:${d.minor} ${d.rate}`);
    }
  }
  for (const h of r.hugepageLimits ?? []) put('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit);
  if (r.network?.classID !== undefined) put('net_cls', 'net_cls.classid', r.network.classID);
  for (const p of r.network?.priorities ?? []) put('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`);
  for (const rule of r.devices ?? []) {
    const type = rule.type ?? 'a';
    const entry = type === 'a' ? 'a' : `${type} ${dev(rule.major, rule.minor)} ${rule.access || 'rwm'}`;
    put('devices', rule.allow ? 'devices.allow' : 'devices.deny', entry);
  }
  if (r.unified && Object.keys(r.unified).length > 0) throw unsupported('unified', 'needs cgroup v2; this host has v1');
  if (r.rdma) throw unsupported('rdma', 'not supported yet');
  return w;
}

/** cpu.shares (2..262144) -> cpu.weight (1..10000), the conversion runc and crun use. */
export function sharesToWeight(shares: number): number {
  return shares === 0 ? 0 : 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) -> io.weight (1..10000). */
export function blkioToIoWeight(weight: number): number {
  return weight === 0 ? 0 : 1 + Math.floor(((weight - 10) * 9999) / 990);
}

export function planV2(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const put = (file: string, value: string | number): void => void w.push({ controller: 'unified', file, value: String(value) });
  const max = (n: number): string => (n < 0 ? 'max' : String(n));
  const m = r.memory;
  if (m) {
    if (set(m.limit)) put('memory.max', max(m.limit));
    if (set(m.reservation)) put('memory.low', max(m.reservation));
    // OCI's swap is memory+swap; v2's memory.swap.max is swap alone
    if (set(m.swap)) put('memory.swap.max', m.swap < 0 ? 'max' : String(Math.max(0, m.swap - (m.limit ?? 0))));
    if (m.disableOOMKiller) throw unsupported('memory.disableOOMKiller', 'cgroup v2 has no switch for it');
  }
  const c = r.cpu;
  if (c) {
    if (set(c.shares)) put('cpu.weight', sharesToWeight(c.shares));
    if (set(c.quota) || set(c.period)) put('cpu.max', `${c.quota !== undefined && c.quota > 0 ? c.quota : 'max'} ${set(c.period) ? c.period : 100000}`);
    if (set(c.burst)) put('cpu.max.burst', c.burst);
    if (c.idle !== undefined) put('cpu.idle', c.idle);
    if (c.cpus) put('cpuset.cpus', c.cpus);
    if (c.mems) put('cpuset.mems', c.mems);
    if (set(c.realtimeRuntime) || set(c.realtimePeriod)) throw unsupported('cpu.realtimeRuntime', 'cgroup v2 has no realtime limits');
  }
  if (r.pids && set(r.pids.limit)) put('pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
  const b = r.blockIO;
  if (b) {
    if (set(b.weight)) put('io.weight', `default ${blkioToIoWeight(b.weight)}`);
    for (const d of b.weightDevice ?? []) if (d.weight !== undefined) put('io.weight', `${d.major}:${d.minor} ${blkioToIoWeight(d.weight)}`);
    const limits: [keyof typeof b, string][] = [
      ['throttleReadBpsDevice', 'rbps'], ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'], ['throttleWriteIOPSDevice', 'wiops'],
    ];
    for (const [field, key] of limits) {
      for (const d of (b[field] as { major: number; minor: number; rate: number }[] | undefined) ?? []) put('io.max', `${d.major}:${d.minor} ${key}=${d.rate}`);
    }
  }
  for (const h of r.hugepageLimits ?? []) put(`hugetlb.${h.pageSize}.max`, h.limit);
  for (const [file, value] of Object.entries(r.unified ?? {})) {
    if (file.includes('/') || file.startsWith('.')) throw unsupported(`unified.${file}`, 'not a cgroup file name');
    put(file, value);
  }
  // device rules are an eBPF program on v2 (device-filter.ts), not files
  if (r.network) throw unsupported('network', 'cgroup v2 has no net_cls or net_prio');
  if (r.rdma) throw unsupported('rdma', 'not supported yet');
  return w;
}

/** The v2 controllers a list of writes needs enabled in the parents' cgroup.subtree_control. */
export function v2Controllers(writes: readonly CgroupWrite[]): string[] {
  const names = new Set<string>();
  for (const w of writes) {
    const prefix = w.file.split('.')[0]!;
    if (['memory', 'cpu', 'cpuset', 'pids', 'io', 'hugetlb'].includes(prefix)) names.add(prefix);
  }
  return [...names].sort();
}

/**
 * An update's resources completed from the container's CURRENT ones where
 * one cgroup file holds two values — v2's cpu.max (quota and period) and
 * memory.swap.max (OCI's memory+swap less the memory limit) — as runc
 * merges an update into the container's config before writing: an update
 * of the swap alone, or of the period alone, keeps the other value.
 */
export function completeUpdate(current: Resources | undefined, update: Resources): Resources {
  const out: Resources = { ...update };
  const m = update.memory;
  if (m?.swap !== undefined && m.limit === undefined && current?.memory?.limit !== undefined) out.memory = { ...m, limit: current.memory.limit };
  const c = update.cpu;
  if (c && (c.quota === undefined) !== (c.period === undefined)) {
    const quota = c.quota ?? current?.cpu?.quota;
    const period = c.period ?? current?.cpu?.period;
    out.cpu = { ...c, ...(quota !== undefined ? { quota } : {}), ...(period !== undefined ? { period } : {}) };
  }
  return out;
}

/** The container's resources after UPDATE (kept in its state for the next update): each value given replaces the one it had; device rules add up. */
export function mergeResources(current: Resources | undefined, update: Resources): Resources {
  const out: Resources = { ...current };
  for (const [k, v] of Object.entries(update) as [keyof Resources, unknown][]) {
    const was = out[k];
    if (k === 'devices') out.devices = [...(current?.devices ?? []), ...(update.devices ?? [])];
    else if (v && typeof v === 'object' && !Array.isArray(v) && was && typeof was === 'object' && !Array.isArray(was)) (out as Record<string, unknown>)[k] = { ...was, ...v };
    else (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
