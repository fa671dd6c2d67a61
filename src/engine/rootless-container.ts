/**
 * A container from an image as an ordinary user (rootless): what is
 * refused before anything is made, each in one line naming what needs
 * root, and the spec's user namespace (the user's maps). Its cgroup: in
 * the cgroup v2 subtree delegated to the user when there is one
 * (cgroups/delegation.ts; the runtime makes it below the delegated cgroup,
 * as it does a config.json's), with the limits asked for; none without
 * one, where limits are refused. Its rootfs is the overlay of its layers
 * mounted with `userxattr` inside the container's own user and mount
 * namespaces (compile.ts), the layers being unpacked for that
 * (jail/rootless-store.ts).
 */
import { type Delegation, findDelegation, undelegatedError } from '../cgroups/delegation.js';
import { readCgroupLayout } from '../cgroups/layout.js';
import { MobyDickError } from '../errors.js';
import { checkMappedUser } from '../rootless/mapped-user.js';
import { isRootless, refuseRootlessLimits, userName, userNamespaceMaps } from '../rootless/rootless.js';
import { rootlessSpec } from '../rootless/rootless-spec.js';
import type { Spec } from '../spec/schema.js';
import type { CreateRequest } from './create-request.js';

/** Each limit of a create request: its flag, and the cgroup v2 controller that carries it out. */
const LIMIT_FLAGS: Record<string, { flag: string; controller: string }> = {
  memory: { flag: '--memory', controller: 'memory' },
  memorySwap: { flag: '--memory-swap', controller: 'memory' },
  memoryReservation: { flag: '--memory-reservation', controller: 'memory' },
  nanoCpus: { flag: '--cpus', controller: 'cpu' },
  cpuShares: { flag: '--cpu-shares', controller: 'cpu' },
  cpuPeriod: { flag: '--cpu-period', controller: 'cpu' },
  cpuQuota: { flag: '--cpu-quota', controller: 'cpu' },
  cpusetCpus: { flag: '--cpuset-cpus', controller: 'cpuset' },
  cpusetMems: { flag: '--cpuset-mems', controller: 'cpuset' },
  pidsLimit: { flag: '--pids-limit', controller: 'pids' },
  blkioWeight: { flag: '--blkio-weight', controller: 'io' },
};

let found: Delegation | null | undefined;

/**
 * The cgroup v2 subtree delegated to this user (null without one), looked
 * for once a process: the parent of this process's own cgroup, as the
 * runtime that makes the container's cgroup looks for it.
 */
export function userDelegation(): Delegation | null {
  if (found === undefined) found = findDelegation(readCgroupLayout(), process.geteuid!());
  return found;
}

function needsRoot(what: string, why: string): MobyDickError {
  return new MobyDickError('USAGE', `${what}: ${why} (rootless)`, { subject: what, hint: 'leave it out, or run as root' });
}

/**
 * What a rootless container cannot have: thrown in one line (exit 125 from
 * run and create). Limits only with a DELEGATION, and only those of the
 * controllers it delegates.
 */
export function refuseForRootlessContainer(req: CreateRequest, delegation: Delegation | null = null): void {
  const net = req.network === 'default' ? 'bridge' : req.network;
  if (net.startsWith('container:')) throw needsRoot(`--network ${net}`, "joining another container's network is not available to a rootless container yet");
  // each container has its user namespace, and only a process with rights in the other's may join its namespaces (setns: EPERM)
  for (const [flag, mode] of [['--pid', req.pid], ['--ipc', req.ipc]] as const) {
    if (mode?.startsWith('container:')) throw needsRoot(`${flag} ${mode}`, "joining another container's namespaces is not available to a rootless container yet");
  }
  if (net !== 'none' && net !== 'host' && net !== 'bridge') {
    throw needsRoot(`--network ${net}`, 'user-defined networks need root; a rootless container has the default network (pasta), host or none');
  }
  if (req.privileged) throw needsRoot('--privileged', "the host's devices and all capabilities need root");
  if (req.devices?.length) throw needsRoot('--device', 'device nodes of the host need root');
  refuseUndelegatedLimits(req as unknown as Record<string, unknown>, delegation);
}

/**
 * The limits ASKED of a rootless container (a create's or an update's
 * request, by the engine's names: memory, nanoCpus, ...): refused in one
 * line without a DELEGATION, and those of a controller it does not
 * delegate; nothing asked passes.
 */
export function refuseUndelegatedLimits(asked: Readonly<Record<string, unknown>>, delegation: Delegation | null): void {
  const limits = Object.keys(LIMIT_FLAGS).filter((k) => asked[k] !== undefined && asked[k] !== 0 && asked[k] !== '').map((k) => LIMIT_FLAGS[k]!);
  if (!delegation) return refuseRootlessLimits(limits.map((l) => l.flag));
  const missing = limits.filter((l) => !delegation.controllers.includes(l.controller));
  if (missing.length) throw undelegatedError([...new Set(missing.map((l) => l.controller))], delegation, missing.map((l) => l.flag).join(', '));
}

/**
 * SPEC in the user's user namespace; -u to an unmapped id refused in one
 * line. With a DELEGATION its cgroup is CGROUPS_PATH (the engine's
 * /PARENT/ID, made below the delegated cgroup) with its limits; without,
 * it has no cgroup and no limit (device rules stay: the runtime checks
 * them as a user too).
 */
export function rootlessContainerSpec(spec: Spec, delegation: Delegation | null = null): Spec {
  const maps = userNamespaceMaps();
  checkMappedUser(spec.process!.user, maps.uidMappings, maps.gidMappings, userName() || String(process.geteuid!()));
  const cgroupsPath = spec.linux?.cgroupsPath;
  const out = rootlessSpec(spec, maps);
  if (delegation) {
    if (cgroupsPath !== undefined) out.linux!.cgroupsPath = cgroupsPath;
  } else if (out.linux?.resources) {
    out.linux.resources = { ...(out.linux.resources.devices ? { devices: out.linux.resources.devices } : {}) };
  }
  return out;
}

/**
 * `stats` as an ordinary user (ROOTLESS) without a delegated cgroup v2
 * subtree (DELEGATION null): refused in one line, as rootless Podman
 * refuses it on such a host. A container's use is read from its cgroup,
 * and it has none there; its processes are still listed by `top`.
 */
export function refuseRootlessStats(rootless = isRootless(), delegation: () => Delegation | null = userDelegation): void {
  refuseWithoutDelegation('stats', 'its resource use is read from its cgroup', rootless, delegation, '; `moby-dick top CONTAINER` lists its processes');
}

/**
 * COMMAND, which needs the container's cgroup (WHY), as an ordinary user
 * (ROOTLESS) without a delegated cgroup v2 subtree: refused in one line
 * (pause and unpause freeze it through cgroup.freeze, stats reads it).
 */
export function refuseWithoutDelegation(command: string, why: string, rootless = isRootless(), delegation: () => Delegation | null = userDelegation, more = ''): void {
  if (!rootless || delegation()) return;
  throw new MobyDickError('NOT_ROOT', `${command}: not available to a rootless container without a cgroup v2 subtree delegated to this user (${why}, and it has none)`, {
    hint: `run as root, or on a cgroup v2 host from a cgroup whose parent is delegated to you (systemd's user@UID.service)${more}`,
  });
}
