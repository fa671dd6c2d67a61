/**
 * A spec made rootless: a new user namespace with MAPS (the user as root
 * inside), and no cgroup of its own (an ordinary user may not make one on
 * a host that delegates none). The namespaces the container makes are then
 * owned by its user namespace, so what root inside may do reaches nothing
 * of the host's that the user could not reach. Pure.
 */
import { defaultSpec } from '../spec/default-spec.js';
import type { Mount, Spec } from '../spec/schema.js';
import type { UserNamespaceMaps } from './write-maps.js';

export function rootlessSpec(spec: Spec, maps: UserNamespaceMaps): Spec {
  const linux = spec.linux ?? {};
  const namespaces = (linux.namespaces ?? []).filter((n) => n.type !== 'user');
  linux.namespaces = [{ type: 'user' }, ...namespaces];
  linux.uidMappings = maps.uidMappings.map((m) => ({ ...m }));
  linux.gidMappings = maps.gidMappings.map((m) => ({ ...m }));
  delete linux.cgroupsPath;
  spec.linux = linux;
  const ownNet = namespaces.some((n) => n.type === 'network');
  const hostPid = !namespaces.some((n) => n.type === 'pid');
  spec.mounts = spec.mounts?.flatMap((m): Mount | Mount[] => {
    if (m.type === 'devpts') return { ...m, options: devptsOptions(m.options, maps) };
    // the host's network namespace (--network host): a user namespace may not mount sysfs fresh there; the host's /sys read-only, as rootless Podman
    if (m.type === 'sysfs' && !ownNet) return { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    // that /sys brings the host's cgroup2 mount along (a v2 host), and the kernel refuses a cgroup2 mount right on
    // top of one of the same hierarchy (EBUSY): an empty tmpfs between them
    if (m.type === 'cgroup' && !ownNet && m.destination.replace(/\/+$/, '') === '/sys/fs/cgroup') {
      return [{ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'nodev', 'mode=755', 'size=4k'] }, m];
    }
    // the host's PID namespace (--pid host): nor a fresh proc there; the host's /proc (with what is mounted on it), as rootless Podman; the masked and read-only paths apply on it as on a proc of its own
    if (m.type === 'proc' && hostPid) return { destination: m.destination, type: 'bind', source: '/proc', options: ['rbind', 'nosuid', 'noexec', 'nodev'] };
    return m;
  });
  return spec;
}

/** A gid= of devpts that the maps leave out is refused by the kernel (EINVAL): dropped, as runc's rootless spec does. */
function devptsOptions(options: readonly string[] | undefined, maps: UserNamespaceMaps): string[] | undefined {
  if (!options) return undefined;
  const mapped = (gid: number): boolean => maps.gidMappings.some((m) => gid >= m.containerID && gid < m.containerID + m.size);
  return options.filter((o) => !o.startsWith('gid=') || mapped(Number(o.slice(4))));
}

/**
 * `moby-dick-runtime spec --rootless`: the default spec for the user UID:GID
 * alone as root inside (as `runc spec --rootless`), with no cgroup rules;
 * unlike runc's it keeps the network namespace (lo only: sysfs can be mounted).
 */
export function rootlessDefaultSpec(uid: number, gid: number): Spec {
  const spec = rootlessSpec(defaultSpec(), { uidMappings: [{ containerID: 0, hostID: uid, size: 1 }], gidMappings: [{ containerID: 0, hostID: gid, size: 1 }] });
  delete spec.linux!.resources;
  return spec;
}
