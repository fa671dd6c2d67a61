/**
 * POST /containers/create's body (Config, HostConfig, NetworkingConfig) to
 * the engine's CreateRequest, the same request `moby-dick run` makes from
 * its flags. Pure.
 *
 * Every field is read with its type checked (a 400 naming it). A field the
 * engine cannot carry out is refused with a 400 naming it when it is set
 * (UNSUPPORTED), and read as unset at its zero value, which the docker CLI
 * sends for every flag not given. Fields that change nothing of the
 * container are ignored: AttachStdin/Stdout/Stderr (how the client
 * attaches; StdinOnce is kept: an attach's end closes stdin), ConsoleSize (the attach's resize sets it),
 * ContainerIDFile (the client writes it), ArgsEscaped, OnBuild and Shell
 * (Windows and builds), Platform (the query's platform is the one read). Unknown fields are ignored, as dockerd's
 * decoder does (newer clients send fields of newer versions).
 */
import type { CreateRequest, VolumeRequest } from '../engine/engine.js';
import type { RestartPolicy } from '../engine/container-table.js';
import { type HealthConfig, healthConfigError } from '../engine/health.js';
import { ApiError } from './errors.js';
import { array, boolean, integer, type JsonObject, object, string, stringMap, strings, stringOrStrings } from './body.js';

/** HostConfig fields moby-dick cannot carry out: refused when set to anything but their zero value. */
export const UNSUPPORTED_HOST_CONFIG = [
  'CgroupParent', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
  'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory', 'KernelMemoryTCP',
  'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth', 'Links', 'OomScoreAdj',
  'StorageOpt', 'MaskedPaths', 'ReadonlyPaths', 'Annotations',
] as const;

/** Mode fields whose only value moby-dick has is the default: '' and these are accepted (IpcMode, PidMode, UTSMode, UsernsMode: the engine checks them, as the CLI's). */
const MODES: Readonly<Record<string, readonly string[]>> = {
  CgroupnsMode: ['private'],
  Cgroup: [],
  Isolation: ['default'],
  Runtime: ['moby-dick', 'runc'],
  VolumeDriver: ['local'],
};

/** Config fields moby-dick cannot carry out. */
const UNSUPPORTED_CONFIG = ['Domainname', 'MacAddress'] as const;

/** Zero values, as the docker CLI sends for flags not given (MemorySwappiness: -1 from older clients). */
function isZero(field: string, v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (field === 'MemorySwappiness' && v === -1) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

function unsupported(field: string, v: unknown): ApiError {
  return new ApiError(400, `${field} is not supported by moby-dick (got ${JSON.stringify(v)}); leave it unset`);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "10m", "1g", "512k", "100": bytes (log-opt max-size's form). */
export function parseSize(text: string, field: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgb]?)b?$/i.exec(text.trim());
  if (!m) throw new ApiError(400, `invalid ${field}: invalid size: '${text}'`);
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

/** A Binds entry, "SRC:DST[:OPTS]" or "DST" (an anonymous volume): a bind when SRC is absolute, a named volume else. */
export function bindOf(spec: string, i: number): VolumeRequest {
  const field = `HostConfig.Binds[${i}]`;
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new ApiError(400, `invalid ${field}: invalid volume specification: '${spec}'`);
  if (parts.length === 1) return { kind: 'volume', source: '', destination: destination(parts[0]!, field), readOnly: false };
  const [src, dst, opts = ''] = parts as [string, string, string?];
  let readOnly = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].includes(o)) propagation = o;
    else if (['z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated'].includes(o)) continue;
    else throw new ApiError(400, `invalid ${field}: invalid mode: ${o}`);
  }
  const kind = src.startsWith('/') ? 'bind' : 'volume';
  return { kind, source: src, destination: destination(dst, field), readOnly, ...(kind === 'bind' ? { createSource: true } : {}), ...(propagation ? { propagation } : {}) };
}

function destination(d: string, field: string): string {
  if (!d.startsWith('/')) throw new ApiError(400, `invalid ${field}: invalid mount path: '${d}' mount path must be absolute`);
  return d;
}

function mountOf(m: unknown, i: number): VolumeRequest {
  const field = `HostConfig.Mounts[${i}]`;
  const o = object(m, field) ?? {};
  const type = string(o.Type, `${field}.Type`) ?? 'volume';
  const target = string(o.Target, `${field}.Target`);
  if (!target) throw new ApiError(400, `invalid ${field}: Target must not be empty`);
  const readOnly = boolean(o.ReadOnly, `${field}.ReadOnly`) ?? false;
  const source = string(o.Source, `${field}.Source`) ?? '';
  if (type === 'bind') {
    if (!source.startsWith('/')) throw new ApiError(400, `invalid ${field}: invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`);
    const b = object(o.BindOptions, `${field}.BindOptions`);
    const propagation = string(b?.Propagation, `${field}.BindOptions.Propagation`);
    return { kind: 'bind', source, destination: destination(target, field), readOnly, ...(propagation ? { propagation } : {}) };
  }
  if (type === 'volume') {
    const vo = object(o.VolumeOptions, `${field}.VolumeOptions`);
    const driver = string(object(vo?.DriverConfig, `${field}.VolumeOptions.DriverConfig`)?.Name, `${field}.VolumeOptions.DriverConfig.Name`);
    if (driver && driver !== 'local') throw unsupported(`${field}.VolumeOptions.DriverConfig.Name`, driver);
    if (string(vo?.Subpath, `${field}.VolumeOptions.Subpath`)) throw unsupported(`${field}.VolumeOptions.Subpath`, vo?.Subpath);
    return { kind: 'volume', source, destination: destination(target, field), readOnly };
  }
  if (type === 'tmpfs') {
    const t = object(o.TmpfsOptions, `${field}.TmpfsOptions`);
    const size = integer(t?.SizeBytes, `${field}.TmpfsOptions.SizeBytes`);
    const mode = integer(t?.Mode, `${field}.TmpfsOptions.Mode`);
    const tmpfsOptions = [...(size ? [`size=${size}`] : []), ...(mode ? [`mode=${mode.toString(8)}`] : []), ...(readOnly ? ['ro'] : [])];
    return { kind: 'tmpfs', source: '', destination: destination(target, field), readOnly, tmpfsOptions };
  }
  throw unsupported(`${field}.Type`, type);
}

function restartOf(v: unknown): RestartPolicy {
  const o = object(v, 'HostConfig.RestartPolicy');
  const name = string(o?.Name, 'HostConfig.RestartPolicy.Name') || 'no';
  const count = integer(o?.MaximumRetryCount, 'HostConfig.RestartPolicy.MaximumRetryCount') ?? 0;
  if (name !== 'no' && name !== 'always' && name !== 'unless-stopped' && name !== 'on-failure') throw new ApiError(400, `invalid restart policy: ${name}`);
  if (name !== 'on-failure' && count !== 0) throw new ApiError(400, `invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (count < 0) throw new ApiError(400, 'invalid restart policy: maximum retry count must be a positive integer');
  return { name, maximumRetryCount: count };
}

/**
 * PortBindings to -p values: "IP:HOSTPORT:PORT/PROTO", a host port left out
 * when not given (or "0": any free one), the IP HOST_IP when not given (the
 * service's --ip, dockerd's; every address when that is empty).
 */
export function publishOf(v: unknown, hostIp = ''): string[] {
  const o = object(v, 'HostConfig.PortBindings') ?? {};
  const out: string[] = [];
  for (const [port, list] of Object.entries(o)) {
    const field = `HostConfig.PortBindings[${port}]`;
    if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(port)) throw new ApiError(400, `invalid ${field}: invalid port specification: "${port}"`);
    const bindings = array(list, field) ?? [];
    if (bindings.length === 0) out.push(hostIp ? `${hostIp}::${port}` : port);
    for (const [i, b] of bindings.entries()) {
      const bo = object(b, `${field}[${i}]`) ?? {};
      const ip = string(bo.HostIp, `${field}[${i}].HostIp`) || hostIp;
      // "0" is any free port, as an empty one (testcontainers sends it)
      const given = string(bo.HostPort, `${field}[${i}].HostPort`) ?? '';
      const hostPort = given === '0' ? '' : given;
      out.push(ip ? `${ip}:${hostPort}:${port}` : hostPort ? `${hostPort}:${port}` : port);
    }
  }
  return out;
}

/** SecurityOpt entries: no-new-privileges[:true|=true], seccomp=unconfined|PROFILE-JSON (the CLI sends the file's content). */
function securityOf(list: readonly string[]): { noNewPrivileges: boolean; seccomp: CreateRequest['seccomp'] } {
  let noNewPrivileges = false;
  let seccomp: CreateRequest['seccomp'] = 'default';
  for (const [i, o] of list.entries()) {
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(o);
    const key = m?.[1];
    const value = m?.[2];
    if (key === 'no-new-privileges') noNewPrivileges = value === undefined || value === 'true';
    else if (key === 'seccomp' && (value === 'unconfined' || value === 'default' || value === 'builtin')) seccomp = value === 'unconfined' ? 'unconfined' : 'default';
    else if (key === 'seccomp' && value !== undefined) {
      try {
        seccomp = JSON.parse(value) as CreateRequest['seccomp'];
      } catch {
        throw new ApiError(400, `invalid HostConfig.SecurityOpt[${i}]: the seccomp profile is not JSON`);
      }
    } else throw unsupported(`HostConfig.SecurityOpt[${i}]`, o);
  }
  return { noNewPrivileges, seccomp };
}

/** NanoCpus, CpuPeriod, CpuQuota and MemoryReservation as given (the engine checks them as dockerd does). */
function cpuAndReservationOf(h: JsonObject): { nanoCpus?: number; cpuPeriod?: number; cpuQuota?: number; memoryReservation?: number } {
  const fields = { nanoCpus: 'NanoCpus', cpuPeriod: 'CpuPeriod', cpuQuota: 'CpuQuota', memoryReservation: 'MemoryReservation' } as const;
  const out: { nanoCpus?: number; cpuPeriod?: number; cpuQuota?: number; memoryReservation?: number } = {};
  for (const [key, field] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const v = integer(h[field], `HostConfig.${field}`);
    if (v) out[key] = v;
  }
  return out;
}

/** What the service fills in where a create request leaves it out. */
export interface CreateDefaults {
  /** the host address of a published port that names none (the service's --ip) */
  hostIp?: string;
}

/** The body of POST /containers/create, and its `name` query parameter, as the engine's CreateRequest. */
export function createRequestOf(body: unknown, name?: string, defaults: CreateDefaults = {}): CreateRequest {
  const c = object(body, 'body') ?? {};
  const h = object(c.HostConfig, 'HostConfig') ?? {};
  const image = string(c.Image, 'Image');
  if (!image) throw new ApiError(400, 'config cannot be empty in order to create a container: Image is required');
  for (const f of UNSUPPORTED_CONFIG) if (!isZero(f, c[f])) throw unsupported(f, c[f]);
  const healthcheck = healthcheckOf(c.Healthcheck);
  for (const f of UNSUPPORTED_HOST_CONFIG) if (!isZero(f, h[f])) throw unsupported(`HostConfig.${f}`, h[f]);
  if (!isZero('MemorySwappiness', h.MemorySwappiness)) throw unsupported('HostConfig.MemorySwappiness', h.MemorySwappiness);
  for (const [f, allowed] of Object.entries(MODES)) {
    const v = string(h[f], `HostConfig.${f}`);
    if (v && !allowed.includes(v)) throw unsupported(`HostConfig.${f}`, v);
  }

  const entrypoint = stringOrStrings(c.Entrypoint, 'Entrypoint');
  const cmd = stringOrStrings(c.Cmd, 'Cmd') ?? [];
  // [""] clears the image's entrypoint; [A, B...] is A with B... before Cmd; none or [] keeps the image's
  const ep = entrypoint && entrypoint.length ? { entrypoint: entrypoint[0]!, command: [...entrypoint.slice(1), ...cmd] } : { command: cmd };
  if (ep.entrypoint === '' && entrypoint!.length > 1) throw new ApiError(400, 'invalid Entrypoint: an empty first element with more after it');

  const mounts: VolumeRequest[] = [];
  (strings(h.Binds, 'HostConfig.Binds') ?? []).forEach((b, i) => mounts.push(bindOf(b, i)));
  (array(h.Mounts, 'HostConfig.Mounts') ?? []).forEach((m, i) => mounts.push(mountOf(m, i)));
  for (const [dst, opts] of Object.entries(stringMap(h.Tmpfs, 'HostConfig.Tmpfs') ?? {})) {
    mounts.push({ kind: 'tmpfs', source: '', destination: destination(dst, `HostConfig.Tmpfs[${dst}]`), readOnly: false, tmpfsOptions: opts.split(',').filter(Boolean) });
  }
  for (const dst of Object.keys(object(c.Volumes, 'Volumes') ?? {})) {
    if (!mounts.some((m) => m.destination === dst)) mounts.push({ kind: 'volume', source: '', destination: destination(dst, `Volumes[${dst}]`), readOnly: false });
  }

  const logConfig = object(h.LogConfig, 'HostConfig.LogConfig');
  const logType = string(logConfig?.Type, 'HostConfig.LogConfig.Type');
  if (logType && logType !== 'json-file' && logType !== 'none') throw unsupported('HostConfig.LogConfig.Type', logType);
  const logOpts = stringMap(logConfig?.Config, 'HostConfig.LogConfig.Config') ?? {};
  for (const k of Object.keys(logOpts)) if (k !== 'max-size' && k !== 'max-file') throw unsupported(`HostConfig.LogConfig.Config.${k}`, logOpts[k]);
  const maxFiles = logOpts['max-file'] === undefined ? 1 : Number(logOpts['max-file']);
  if (!Number.isInteger(maxFiles) || maxFiles < 1) throw new ApiError(400, `invalid HostConfig.LogConfig.Config.max-file: ${logOpts['max-file']}`);

  let network = string(h.NetworkMode, 'HostConfig.NetworkMode') || 'bridge';
  if (network === 'default') network = 'bridge';
  if (boolean(c.NetworkDisabled, 'NetworkDisabled')) network = 'none';
  const endpoints = object(object(c.NetworkingConfig, 'NetworkingConfig')?.EndpointsConfig, 'NetworkingConfig.EndpointsConfig') ?? {};
  const names = Object.keys(endpoints);
  if (names.length > 1) throw new ApiError(400, 'Container cannot be connected to network endpoints: only one network at create; connect the others after it');
  const aliases: string[] = [];
  for (const n of names) {
    const field = `NetworkingConfig.EndpointsConfig[${n}]`;
    const e = object(endpoints[n], field) ?? {};
    const named = n === 'default' ? 'bridge' : n;
    if (named !== network) throw new ApiError(400, `invalid ${field}: the container's NetworkMode is ${network}`);
    aliases.push(...(strings(e.Aliases, `${field}.Aliases`) ?? []));
    for (const f of ['IPAMConfig', 'Links', 'MacAddress', 'DriverOpts', 'IPAddress', 'GlobalIPv6Address']) if (!isZero(f, e[f])) throw unsupported(`${field}.${f}`, e[f]);
  }

  const pids = integer(h.PidsLimit, 'HostConfig.PidsLimit');
  const memory = integer(h.Memory, 'HostConfig.Memory');
  const swap = integer(h.MemorySwap, 'HostConfig.MemorySwap');
  const shm = integer(h.ShmSize, 'HostConfig.ShmSize');
  const cpuShares = integer(h.CpuShares, 'HostConfig.CpuShares');
  const cpu = cpuAndReservationOf(h);
  const stopTimeout = integer(c.StopTimeout, 'StopTimeout');
  const stopSignal = string(c.StopSignal, 'StopSignal');
  const hostname = string(c.Hostname, 'Hostname');
  const workdir = string(c.WorkingDir, 'WorkingDir');
  const user = string(c.User, 'User');
  const security = securityOf(strings(h.SecurityOpt, 'HostConfig.SecurityOpt') ?? []);
  const ulimits = (array(h.Ulimits, 'HostConfig.Ulimits') ?? []).map((u, i) => {
    const o = object(u, `HostConfig.Ulimits[${i}]`) ?? {};
    const n = string(o.Name, `HostConfig.Ulimits[${i}].Name`);
    if (!n) throw new ApiError(400, `invalid HostConfig.Ulimits[${i}]: Name is required`);
    return { name: n, soft: integer(o.Soft, `HostConfig.Ulimits[${i}].Soft`) ?? 0, hard: integer(o.Hard, `HostConfig.Ulimits[${i}].Hard`) ?? 0 };
  });
  const expose = Object.keys(object(c.ExposedPorts, 'ExposedPorts') ?? {});
  const devices = (array(h.Devices, 'HostConfig.Devices') ?? []).map((d, i) => {
    const field = `HostConfig.Devices[${i}]`;
    const o = object(d, field) ?? {};
    const pathOnHost = string(o.PathOnHost, `${field}.PathOnHost`) ?? '';
    if (!pathOnHost.startsWith('/')) throw new ApiError(400, `invalid ${field}: PathOnHost must be an absolute path`);
    const pathInContainer = string(o.PathInContainer, `${field}.PathInContainer`) || pathOnHost;
    const perms = string(o.CgroupPermissions, `${field}.CgroupPermissions`) || 'rwm';
    if (!pathInContainer.startsWith('/') || !/^[rwm]{1,3}$/.test(perms)) throw new ApiError(400, `invalid ${field}: ${pathInContainer}:${perms}`);
    return { pathOnHost, pathInContainer, cgroupPermissions: perms };
  });
  const cpusetCpus = string(h.CpusetCpus, 'HostConfig.CpusetCpus');
  const cpusetMems = string(h.CpusetMems, 'HostConfig.CpusetMems');
  const blkioWeight = integer(h.BlkioWeight, 'HostConfig.BlkioWeight');
  const sysctls = stringMap(h.Sysctls, 'HostConfig.Sysctls') ?? {};
  const groupAdd = strings(h.GroupAdd, 'HostConfig.GroupAdd') ?? [];
  const volumesFrom = strings(h.VolumesFrom, 'HostConfig.VolumesFrom') ?? [];
  const modes = Object.fromEntries((['IpcMode', 'PidMode', 'UTSMode', 'UsernsMode'] as const).map((f) => [f, string(h[f], `HostConfig.${f}`) ?? '']));
  const restart = restartOf(h.RestartPolicy);
  const autoRemove = boolean(h.AutoRemove, 'HostConfig.AutoRemove') ?? false;
  if (autoRemove && restart.name !== 'no') throw new ApiError(400, 'conflicting options: cannot specify both restart policy and auto remove');

  return {
    image,
    command: ep.command,
    ...(ep.entrypoint !== undefined ? { entrypoint: ep.entrypoint } : {}),
    ...(name ? { name: name.startsWith('/') ? name.slice(1) : name } : {}),
    ...(hostname ? { hostname } : {}),
    // "KEY" without a value is the client's to resolve; dockerd's "unset it" has no counterpart here
    env: (strings(c.Env, 'Env') ?? []).filter((e) => e.includes('=')),
    ...(workdir ? { workdir } : {}),
    ...(user ? { user } : {}),
    tty: boolean(c.Tty, 'Tty') ?? false,
    openStdin: boolean(c.OpenStdin, 'OpenStdin') ?? false,
    stdinOnce: boolean(c.StdinOnce, 'StdinOnce') ?? false,
    readOnly: boolean(h.ReadonlyRootfs, 'HostConfig.ReadonlyRootfs') ?? false,
    mounts,
    ...(memory ? { memory } : {}),
    ...(swap ? { memorySwap: swap } : {}),
    ...cpu,
    ...(cpuShares ? { cpuShares } : {}),
    // 0 and -1: no limit
    ...(pids && pids > 0 ? { pidsLimit: pids } : {}),
    ulimits,
    capAdd: strings(h.CapAdd, 'HostConfig.CapAdd') ?? [],
    capDrop: strings(h.CapDrop, 'HostConfig.CapDrop') ?? [],
    privileged: boolean(h.Privileged, 'HostConfig.Privileged') ?? false,
    noNewPrivileges: security.noNewPrivileges,
    seccomp: security.seccomp,
    init: boolean(h.Init, 'HostConfig.Init') ?? false,
    labels: stringMap(c.Labels, 'Labels') ?? {},
    ...(stopSignal ? { stopSignal } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    restart,
    autoRemove,
    log: { maxSize: logOpts['max-size'] ? parseSize(logOpts['max-size'], 'HostConfig.LogConfig.Config.max-size') : 0, maxFiles },
    network,
    networkAliases: aliases,
    publish: publishOf(h.PortBindings, defaults.hostIp),
    publishAll: boolean(h.PublishAllPorts, 'HostConfig.PublishAllPorts') ?? false,
    ...(defaults.hostIp ? { publishAllIp: defaults.hostIp } : {}),
    expose,
    dns: strings(h.Dns, 'HostConfig.Dns') ?? [],
    dnsSearch: strings(h.DnsSearch, 'HostConfig.DnsSearch') ?? [],
    dnsOptions: strings(h.DnsOptions, 'HostConfig.DnsOptions') ?? [],
    addHost: strings(h.ExtraHosts, 'HostConfig.ExtraHosts') ?? [],
    ...(shm ? { shmSize: shm } : {}),
    ...(healthcheck ? { healthcheck } : {}),
    ...(cpusetCpus ? { cpusetCpus } : {}),
    ...(cpusetMems ? { cpusetMems } : {}),
    ...(blkioWeight ? { blkioWeight } : {}),
    ...(boolean(h.OomKillDisable, 'HostConfig.OomKillDisable') ? { oomKillDisable: true } : {}),
    ...(devices.length ? { devices } : {}),
    ...(Object.keys(sysctls).length ? { sysctls } : {}),
    ...(groupAdd.length ? { groupAdd } : {}),
    ...(volumesFrom.length ? { volumesFrom } : {}),
    ...(modes.IpcMode ? { ipc: modes.IpcMode } : {}),
    ...(modes.PidMode ? { pid: modes.PidMode } : {}),
    ...(modes.UTSMode ? { uts: modes.UTSMode } : {}),
    ...(modes.UsernsMode ? { userns: modes.UsernsMode } : {}),
    ...(logType === 'none' ? { logDriver: 'none' as const } : {}),
  };
}

/** Config.Healthcheck: Test and its durations (nanoseconds), checked as dockerd does; undefined when absent or all zero. */
function healthcheckOf(v: unknown): HealthConfig | undefined {
  const o = object(v, 'Healthcheck');
  if (!o) return undefined;
  const out: HealthConfig = { Test: strings(o.Test, 'Healthcheck.Test') ?? [] };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const n = integer(o[k], `Healthcheck.${k}`);
    if (n) out[k] = n;
  }
  if (out.Test.length === 0 && Object.keys(out).length === 1) return undefined;
  const error = healthConfigError(out);
  if (error) throw new ApiError(400, error);
  return out;
}
