/**
 * A container from an image as an ordinary user (rootless): what is
 * refused before anything is made, each in one line naming what needs
 * root, and the spec's user namespace (the user's maps, no cgroup). Its
 * rootfs is the overlay of its layers mounted with `userxattr` inside the
 * container's own user and mount namespaces (compile.ts), the layers being
 * unpacked for that (jail/rootless-store.ts).
 */
import { MobyDickError } from '../errors.js';
import { checkMappedUser } from '../rootless/mapped-user.js';
import { refuseRootlessLimits, userName, userNamespaceMaps } from '../rootless/rootless.js';
import { rootlessSpec } from '../rootless/rootless-spec.js';
import type { Spec } from '../spec/schema.js';
import type { CreateRequest } from './create-request.js';

const LIMIT_FLAGS: Record<string, string> = {
  memory: '--memory',
  memorySwap: '--memory-swap',
  memoryReservation: '--memory-reservation',
  nanoCpus: '--cpus',
  cpuShares: '--cpu-shares',
  cpuPeriod: '--cpu-period',
  cpuQuota: '--cpu-quota',
  pidsLimit: '--pids-limit',
  blkioWeight: '--blkio-weight',
};

function needsRoot(what: string, why: string): MobyDickError {
  return new MobyDickError('USAGE', `${what}: ${why} (rootless)`, { subject: what, hint: 'leave it out, or run as root' });
}

/** What a rootless container cannot have: thrown in one line (exit 125 from run and create). */
export function refuseForRootlessContainer(req: CreateRequest): void {
  const net = req.network === 'default' ? 'bridge' : req.network;
  if (net.startsWith('container:')) throw needsRoot(`--network ${net}`, "joining another container's network is not available to a rootless container yet");
  if (net !== 'none' && net !== 'host' && net !== 'bridge') {
    throw needsRoot(`--network ${net}`, 'user-defined networks need root; a rootless container has the default network (pasta), host or none');
  }
  if (req.privileged) throw needsRoot('--privileged', "the host's devices and all capabilities need root");
  if (req.devices?.length) throw needsRoot('--device', 'device nodes of the host need root');
  const asked = req as unknown as Record<string, unknown>;
  refuseRootlessLimits(Object.keys(LIMIT_FLAGS).filter((k) => asked[k] !== undefined && asked[k] !== 0).map((k) => LIMIT_FLAGS[k]!));
}

/** SPEC in the user's user namespace, with no cgroup; -u to an unmapped id refused in one line. */
export function rootlessContainerSpec(spec: Spec): Spec {
  const maps = userNamespaceMaps();
  checkMappedUser(spec.process!.user, maps.uidMappings, maps.gidMappings, userName() || String(process.geteuid!()));
  const out = rootlessSpec(spec, maps);
  if (out.linux?.resources) {
    // device rules stay (the runtime checks them as a user too); no limit is set
    out.linux.resources = { ...(out.linux.resources.devices ? { devices: out.linux.resources.devices } : {}) };
  }
  return out;
}
