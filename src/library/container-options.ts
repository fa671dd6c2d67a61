/**
 * What a library caller asks of a container (ContainerOptions), typed, and
 * the engine's CreateRequest it becomes: the Docker CLI's `run` defaults
 * under what the caller set. Checks that belong to the engine (memory and
 * CPU values, port ranges) stay the engine's; only what the typed shape
 * cannot say is checked here.
 */
import { type CreateRequest, plainCreateRequest, type VolumeRequest } from '../engine/create-request.js';
import type { RestartPolicy } from '../engine/container-table.js';
import type { ResourceLimits } from '../spec/spec-builder.js';
import { MobyDickError } from '../errors.js';

/** A mount of a container: a host directory (bind), a named volume, or a tmpfs. */
export interface MountOptions {
  type: 'bind' | 'volume' | 'tmpfs';
  /** the host path (bind) or the volume's name ('' or absent: an anonymous volume); unused for tmpfs */
  source?: string;
  /** the path in the container */
  target: string;
  readOnly?: boolean;
}

/** A published port (Docker's -p [HOSTIP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL]); needs a bridge network. */
export interface PortOptions {
  containerPort: number;
  /** the host's port; absent or 0: one the engine picks when the container starts (ports() tells it) */
  hostPort?: number;
  /** the host address it answers on (default: every address) */
  hostIp?: string;
  /** default 'tcp' */
  protocol?: 'tcp' | 'udp';
}

/** Resource limits, as Docker's run flags (--memory, --cpus, ...) set them; absent: no limit. */
export interface ResourceOptions {
  /** bytes (--memory) */
  memory?: number;
  /** memory and swap together in bytes, -1 unlimited (--memory-swap; default twice memory) */
  memorySwap?: number;
  /** bytes, a soft limit (--memory-reservation) */
  memoryReservation?: number;
  /** CPUs, e.g. 0.5 (--cpus) */
  cpus?: number;
  /** relative weight (--cpu-shares) */
  cpuShares?: number;
  /** CFS period and quota in µs (--cpu-period, --cpu-quota); not with cpus */
  cpuPeriod?: number;
  cpuQuota?: number;
  /** CPUs and memory nodes it may use, as the kernel lists them: "0-2,4" (--cpuset-cpus, --cpuset-mems) */
  cpusetCpus?: string;
  cpusetMems?: string;
  /** at most this many tasks (--pids-limit) */
  pidsLimit?: number;
  /** 10..1000 (--blkio-weight) */
  blkioWeight?: number;
  /** cgroup v1's memory.oom_control (--oom-kill-disable) */
  oomKillDisable?: boolean;
  /** rlimits of its processes (--ulimit nofile=1024:2048): NAME as Docker takes it (nofile, nproc, core, ...) */
  ulimits?: readonly { name: string; soft: number; hard: number }[];
}

/**
 * What the engine does when the container ends (--restart): 'no' (the
 * default), 'always', 'unless-stopped', or 'on-failure' for a non-zero
 * exit, at most maximumRetryCount times (0 or absent: no limit).
 */
export interface RestartOptions {
  policy: RestartPolicy['name'];
  maximumRetryCount?: number;
}

export interface ContainerOptions {
  /** an image of the store, by name, ID or digest; pulled when missing (pull: 'missing', Docker's default) */
  image: string;
  /** the command, in place of the image's CMD (default: the image's) */
  command?: readonly string[];
  /** in place of the image's ENTRYPOINT ('' clears it) */
  entrypoint?: string;
  /** default: a generated adjective_noun, as Docker's */
  name?: string;
  hostname?: string;
  /** KEY=VALUE, on top of the image's */
  env?: readonly string[];
  workdir?: string;
  /** NAME, UID, or UID:GID (the image's /etc/passwd resolves names) */
  user?: string;
  /** 'bridge' (the default network, Docker's default), 'none', 'host', or a network's name */
  network?: string;
  mounts?: readonly MountOptions[];
  labels?: Readonly<Record<string, string>>;
  /** an init as pid 1 that forwards signals and reaps zombies (Docker's --init) */
  init?: boolean;
  readOnly?: boolean;
  /** the image pull policy (default 'missing') */
  pull?: 'always' | 'missing' | 'never';
  /** a terminal for its command (Docker's -t): its output is one stream, stdout */
  tty?: boolean;
  /** its stdin stays open for start()'s `stdin` stream (Docker's -i) */
  openStdin?: boolean;
  /** published ports (Docker's -p); they need a bridge network */
  ports?: readonly PortOptions[];
  /** every port the image exposes, on ports the engine picks (Docker's -P) */
  publishAll?: boolean;
  resources?: ResourceOptions;
  restart?: RestartOptions;
  /** removed once it ends (Docker's --rm); not with a restart policy */
  autoRemove?: boolean;
  /** the signal stop() sends first (default: the image's, or SIGTERM) */
  stopSignal?: string;
  /** seconds stop() waits before SIGKILL (default 10) */
  stopTimeout?: number;
}

/** The Docker CLI's `run` defaults, under what OPTIONS says. */
export function createRequestOf(o: ContainerOptions): CreateRequest {
  if (o.autoRemove && o.restart && o.restart.policy !== 'no') {
    throw new MobyDickError('USAGE', 'conflicting options: a restart policy and autoRemove', { subject: 'restart', hint: 'leave out one of them' });
  }
  return {
    ...plainCreateRequest(o.image, o.command ?? []),
    ...(o.entrypoint !== undefined ? { entrypoint: o.entrypoint } : {}),
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
    env: o.env ?? [],
    ...(o.workdir !== undefined ? { workdir: o.workdir } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    readOnly: o.readOnly === true,
    mounts: (o.mounts ?? []).map(volumeRequest),
    init: o.init === true,
    labels: { ...o.labels },
    network: o.network ?? 'bridge',
    ...(o.pull !== undefined ? { pull: o.pull } : {}),
    tty: o.tty === true,
    openStdin: o.openStdin === true,
    publish: (o.ports ?? []).map(publishSpec),
    publishAll: o.publishAll === true,
    ...resourceLimits(o.resources),
    restart: restartPolicy(o.restart),
    autoRemove: o.autoRemove === true,
    ...(o.stopSignal !== undefined ? { stopSignal: o.stopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { stopTimeout: o.stopTimeout } : {}),
  };
}

function volumeRequest(m: MountOptions): VolumeRequest {
  if (!m.target.startsWith('/')) throw new MobyDickError('USAGE', `mount target ${m.target} is not an absolute path`, { subject: m.target });
  if (m.type === 'bind' && !m.source?.startsWith('/')) {
    throw new MobyDickError('USAGE', `bind mount source ${m.source ?? '(none)'} is not an absolute path`, { subject: m.source ?? m.target, hint: 'give the host directory as an absolute path' });
  }
  return { kind: m.type, source: m.source ?? '', destination: m.target, readOnly: m.readOnly === true };
}

/** PORT as -p writes it: [HOSTIP:][HOSTPORT:]CONTAINERPORT/PROTOCOL (the engine checks the numbers, as for -p) */
export function publishSpec(p: PortOptions): string {
  const ip = p.hostIp ?? '';
  const host = p.hostPort ? String(p.hostPort) : '';
  const prefix = ip ? `${ip.includes(':') ? `[${ip}]` : ip}:${host}:` : host ? `${host}:` : '';
  return `${prefix}${p.containerPort}/${p.protocol ?? 'tcp'}`;
}

/** ResourceOptions as the engine's ResourceLimits: cpus in billionths, what is absent left out */
export function resourceLimits(r: ResourceOptions = {}): ResourceLimits {
  if (r.cpus !== undefined && !(Number.isFinite(r.cpus) && r.cpus > 0)) {
    throw new MobyDickError('USAGE', `invalid value for cpus: ${r.cpus}`, { subject: 'cpus', hint: 'give a positive number of CPUs, e.g. 0.5' });
  }
  const limits: ResourceLimits = { ulimits: (r.ulimits ?? []).map((u) => ({ name: u.name, soft: u.soft, hard: u.hard })) };
  const copied = ['memory', 'memorySwap', 'memoryReservation', 'cpuShares', 'cpuPeriod', 'cpuQuota', 'cpusetCpus', 'cpusetMems', 'pidsLimit', 'blkioWeight', 'oomKillDisable'] as const;
  for (const k of copied) if (r[k] !== undefined) Object.assign(limits, { [k]: r[k] });
  if (r.cpus !== undefined) limits.nanoCpus = Math.round(r.cpus * 1e9);
  return limits;
}

export function restartPolicy(r: RestartOptions | undefined): RestartPolicy {
  if (!r) return { name: 'no', maximumRetryCount: 0 };
  const n = r.maximumRetryCount ?? 0;
  if (!Number.isInteger(n) || n < 0) {
    throw new MobyDickError('USAGE', `invalid restart policy: maximum retry count must be a positive integer (${n})`, { subject: 'restart' });
  }
  if (n > 0 && r.policy !== 'on-failure') {
    throw new MobyDickError('USAGE', `invalid restart policy: maximum retry count cannot be used with restart policy '${r.policy}'`, { subject: 'restart' });
  }
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(r.policy)) {
    throw new MobyDickError('USAGE', `invalid restart policy: unknown policy '${String(r.policy)}'`, {
      subject: 'restart',
      hint: "use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
    });
  }
  return { name: r.policy, maximumRetryCount: n };
}
