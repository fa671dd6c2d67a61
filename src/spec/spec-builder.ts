/**
 * buildSpec(): an engine container (Docker's flags, resolved) -> the OCI
 * config.json the runtime carries out, with Docker's defaults (moby's
 * oci/defaults.go and daemon/oci_linux.go, as documented): the 14 default
 * capabilities, masked and read-only /proc and /sys paths, a private
 * /dev/shm, the device cgroup denying all but the standard devices, the
 * default seccomp profile, and `--privileged` lifting all of that. Pure.
 */
import { MobyDickError } from '../errors.js';
import { type Capability, CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { MASKED_PATHS, READONLY_PATHS } from './defaults.js';
import type { Mount, Spec } from './schema.js';
import { defaultSeccompProfile } from './seccomp-profile.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;
type Rlimit = NonNullable<NonNullable<Spec['process']>['rlimits']>[number];

export interface BindMount {
  source: string;
  destination: string;
  readOnly: boolean;
  /** rprivate (Docker's default), rshared, rslave, ... */
  propagation?: string;
}

export interface TmpfsMount {
  destination: string;
  /** mount options as given (size=64m, mode=1777, ...) */
  options: readonly string[];
}

/** A volume made with `volume create -o type=... device=...`: that filesystem, mounted in the container. */
export interface FilesystemMount {
  destination: string;
  type: string;
  source: string;
  options: readonly string[];
}

export interface Ulimit {
  /** the name as Docker takes it: nofile, nproc, core, ... */
  name: string;
  soft: number;
  hard: number;
}

/** The limits a container runs under, as the user gave them (`run` flags) and as the engine keeps them. */
export interface ResourceLimits {
  /** bytes; undefined: no limit */
  memory?: number;
  /** memory + swap in bytes, -1 unlimited; Docker's default is twice --memory */
  memorySwap?: number;
  /** --cpus in billionths of a CPU */
  nanoCpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  /** memory soft limit in bytes (--memory-reservation) */
  memoryReservation?: number;
  /** CFS period and quota in µs, as given (--cpu-period, --cpu-quota); --cpus sets nanoCpus instead */
  cpuPeriod?: number;
  cpuQuota?: number;
  ulimits: readonly Ulimit[];
  /** --cpuset-cpus, --cpuset-mems: lists as the kernel takes them ("0-2,4") */
  cpusetCpus?: string;
  cpusetMems?: string;
  /** --blkio-weight: 10..1000 (0: unset) */
  blkioWeight?: number;
  /** --oom-kill-disable (cgroup v1's memory.oom_control) */
  oomKillDisable?: boolean;
}

/** --device HOST[:CONTAINER[:PERMS]], with Docker's field names (HostConfig.Devices). */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  /** r, w and m (default rwm) */
  cgroupPermissions: string;
}

type DeviceRule = NonNullable<NonNullable<NonNullable<Spec['linux']>['resources']>['devices']>[number];
type Device = NonNullable<NonNullable<Spec['linux']>['devices']>[number];

/** A namespace of the container's: a new one, the engine's own (host), or another's joined by path (resolved when it starts). */
export type NamespaceJoin = { mode: 'new' } | { mode: 'host' } | { mode: 'path'; path: string };

/** Its privileges: capabilities on top of Docker's defaults, --privileged, no_new_privs, seccomp. */
export interface SecuritySettings {
  capAdd: readonly string[];
  capDrop: readonly string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  /** the default profile, none, or a profile of the user's */
  seccomp: 'default' | 'unconfined' | Seccomp;
}

/** What a container is made of once the command line and the image are resolved. */
export interface EngineContainer extends ResourceLimits, SecuritySettings {
  id: string;
  rootfs: string;
  readOnly: boolean;
  argv: readonly string[];
  env: readonly string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: readonly number[] };
  tty: boolean;
  hostname: string;
  binds: readonly BindMount[];
  tmpfs: readonly TmpfsMount[];
  /** volumes with driver options (older records have none) */
  filesystems?: readonly FilesystemMount[];
  /** /dev/shm size in bytes (Docker's default 64 MiB) */
  shmSize: number;
  /** a network namespace to join (set up by the engine), "host", or a new one ("none") */
  network: { mode: 'none' } | { mode: 'host' } | { mode: 'path'; path: string };
  /** the cgroup the container gets, e.g. /moby-dick/ID */
  cgroupsPath: string;
  labels?: Readonly<Record<string, string>>;
  /** the capabilities the engine holds (what --privileged and --cap-add ALL give); all of them when unset */
  hostCapabilities?: readonly Capability[];
  /** device nodes to make in its /dev (a privileged container's: the host's, found when it starts) */
  devices?: readonly Device[];
  /** device cgroup rules on top of the default ones (--device's, with its permissions) */
  deviceRules?: readonly DeviceRule[];
  /** --device as given: resolved into devices and deviceRules when it is created and starts */
  deviceMappings?: readonly DeviceMapping[];
  /** linux.sysctl (namespaced ones: checkContainerSysctls) */
  sysctls?: Readonly<Record<string, string>>;
  /** IPC, PID and UTS namespaces; new ones when unset */
  ipc?: NamespaceJoin;
  pid?: NamespaceJoin;
  uts?: NamespaceJoin;
  /**
   * /dev/shm: a tmpfs of its own (default), none (--ipc none), the host's
   * (--ipc host), or another container's (--ipc container:NAME): the one in
   * the mount namespace at nsPath, which the runtime takes (compile.ts's
   * shmFrom), so the spec mounts nothing there
   */
  shm?: { mode: 'none' | 'host' } | { mode: 'container'; nsPath: string };
}

/** The resource limits and security settings of REQUEST, as an EngineContainer keeps them (no undefined keys). */
export function limitsAndSecurity(r: ResourceLimits & SecuritySettings): ResourceLimits & SecuritySettings {
  const out: ResourceLimits & SecuritySettings = {
    ulimits: r.ulimits, capAdd: r.capAdd, capDrop: r.capDrop, privileged: r.privileged, noNewPrivileges: r.noNewPrivileges, seccomp: r.seccomp,
  };
  for (const k of ['memory', 'memorySwap', 'nanoCpus', 'cpuShares', 'pidsLimit', 'blkioWeight', 'memoryReservation', 'cpuPeriod', 'cpuQuota'] as const) {
    if (r[k] !== undefined) out[k] = r[k];
  }
  for (const k of ['cpusetCpus', 'cpusetMems'] as const) if (r[k] !== undefined) out[k] = r[k];
  if (r.oomKillDisable) out.oomKillDisable = true;
  return out;
}

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** What `run` without flags gives, for the parts of an EngineContainer that do not come from the image. */
export const RUN_DEFAULTS = {
  readOnly: false,
  tty: false,
  binds: [],
  tmpfs: [],
  ulimits: [],
  capAdd: [],
  capDrop: [],
  privileged: false,
  noNewPrivileges: false,
  seccomp: 'default',
  shmSize: DEFAULT_SHM_SIZE,
  network: { mode: 'none' },
} as const satisfies Partial<EngineContainer>;
const CFS_PERIOD = 100_000;

/**
 * --cap-add/--cap-drop on top of the defaults; ALL works both ways, as
 * Docker's. "All" (--privileged, --cap-add ALL) is every capability the
 * engine holds itself (AVAILABLE): the kernel refuses to give more.
 */
export function capabilitySet(add: readonly string[], drop: readonly string[], privileged: boolean, available: readonly Capability[] = CAPABILITIES): Capability[] {
  if (privileged) return [...available];
  const norm = (c: string): string => {
    const up = c.toUpperCase();
    return up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
  };
  const adds = add.map(norm);
  const drops = drop.map(norm);
  for (const c of [...adds, ...drops]) {
    if (c !== 'ALL' && !(CAPABILITIES as readonly string[]).includes(c)) {
      throw new MobyDickError('USAGE', `unknown capability: "${c}"`, { subject: c, hint: 'capabilities are named as in capabilities(7), with or without CAP_' });
    }
  }
  let caps: Capability[] = adds.includes('ALL') ? [...available] : [...DOCKER_DEFAULT_CAPABILITIES];
  for (const c of adds) if (c !== 'ALL' && !caps.includes(c as Capability)) caps.push(c as Capability);
  if (drops.includes('ALL')) caps = adds.filter((c): c is Capability => c !== 'ALL');
  else caps = caps.filter((c) => !drops.includes(c));
  return caps;
}

/** RLIMIT_NAME for Docker's ulimit names. */
function rlimit(u: Ulimit): Rlimit {
  return { type: `RLIMIT_${u.name.toUpperCase()}`, soft: u.soft, hard: u.hard };
}

function baseMounts(c: EngineContainer): Mount[] {
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', c.privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', c.privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (c.shm?.mode === 'host') mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  else if (c.shm?.mode !== 'none' && c.shm?.mode !== 'container') mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${c.shmSize}`] });
  for (const t of c.tmpfs) {
    mounts.push({ destination: t.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...t.options] });
  }
  for (const b of c.binds) {
    mounts.push({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', b.propagation ?? 'rprivate', ...(b.readOnly ? ['ro'] : [])] });
  }
  for (const f of c.filesystems ?? []) mounts.push({ destination: f.destination, type: f.type, source: f.source, options: [...f.options] });
  return mounts;
}

function resources(c: EngineContainer): NonNullable<NonNullable<Spec['linux']>['resources']> {
  const r: NonNullable<NonNullable<Spec['linux']>['resources']> = {
    devices: [{ allow: c.privileged, access: 'rwm' }, ...(c.privileged ? [] : c.deviceRules ?? [])],
  };
  if (c.memory !== undefined) {
    const swap = c.memorySwap ?? c.memory * 2;
    r.memory = { limit: c.memory, swap: swap === -1 ? -1 : swap };
  }
  if (c.memoryReservation !== undefined) r.memory = { ...r.memory, reservation: c.memoryReservation };
  if (c.oomKillDisable) r.memory = { ...r.memory, disableOOMKiller: true };
  const cpu: NonNullable<typeof r.cpu> = {};
  if (c.cpusetCpus) cpu.cpus = c.cpusetCpus;
  if (c.cpusetMems) cpu.mems = c.cpusetMems;
  if (c.cpuShares !== undefined) cpu.shares = c.cpuShares;
  if (c.nanoCpus !== undefined) {
    cpu.period = CFS_PERIOD;
    cpu.quota = Math.round((c.nanoCpus * CFS_PERIOD) / 1e9);
  } else {
    if (c.cpuPeriod !== undefined) cpu.period = c.cpuPeriod;
    if (c.cpuQuota !== undefined) cpu.quota = c.cpuQuota;
  }
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (c.pidsLimit !== undefined && c.pidsLimit > 0) r.pids = { limit: c.pidsLimit };
  if (c.blkioWeight) r.blockIO = { weight: c.blkioWeight };
  return r;
}

/** The kernel's limit on a host or domain name (__NEW_UTS_LEN). */
export const UTS_NAME_MAX = 64;

export function buildSpec(c: EngineContainer): Spec {
  // sethostname would refuse it at every start: refused at create instead
  if (Buffer.byteLength(c.hostname) > UTS_NAME_MAX) {
    throw new MobyDickError('USAGE', `invalid hostname ${JSON.stringify(c.hostname)}: longer than the kernel's ${UTS_NAME_MAX} bytes`, {
      subject: 'hostname',
      hint: `give --hostname ${UTS_NAME_MAX} characters at most`,
    });
  }
  const caps = capabilitySet(c.capAdd, c.capDrop, c.privileged, c.hostCapabilities);
  const namespaces: NonNullable<NonNullable<Spec['linux']>['namespaces']> = [];
  for (const [type, join] of [['pid', c.pid], ['ipc', c.ipc], ['uts', c.uts]] as const) {
    if (join?.mode === 'path') namespaces.push({ type, path: join.path });
    else if (join?.mode !== 'host') namespaces.push({ type });
  }
  namespaces.push({ type: 'mount' }, { type: 'cgroup' });
  if (c.network.mode === 'none') namespaces.push({ type: 'network' });
  if (c.network.mode === 'path') namespaces.push({ type: 'network', path: c.network.path });
  const seccomp = c.privileged || c.seccomp === 'unconfined' ? undefined : c.seccomp === 'default' ? defaultSeccompProfile(caps) : c.seccomp;
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: c.tty,
      user: { uid: c.user.uid, gid: c.user.gid, additionalGids: [...c.user.additionalGids] },
      args: [...c.argv],
      env: [...c.env],
      cwd: c.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: c.ulimits.map(rlimit),
      noNewPrivileges: c.noNewPrivileges,
      oomScoreAdj: 0,
    },
    root: { path: c.rootfs, readonly: c.readOnly },
    // the host's UTS namespace keeps the host's name
    ...(c.uts?.mode === 'host' ? {} : { hostname: c.hostname }),
    mounts: baseMounts(c),
    ...(c.labels && Object.keys(c.labels).length ? { annotations: { ...c.labels } } : {}),
    linux: {
      namespaces,
      cgroupsPath: c.cgroupsPath,
      resources: resources(c),
      ...(c.privileged ? {} : { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] }),
      ...(seccomp ? { seccomp } : {}),
      ...(c.devices?.length ? { devices: [...c.devices] } : {}),
      ...(c.sysctls && Object.keys(c.sysctls).length ? { sysctl: { ...c.sysctls } } : {}),
    },
  };
}
