/**
 * A cgroup v2 subtree delegated to an ordinary user, and where a rootless
 * container's cgroup goes in it.
 *
 * The choice, as runc's cgroupfs driver makes it for a relative
 * cgroupsPath (libcontainer/cgroups/fs2/defaultpath.go): the container's
 * cgroup is made beside the caller's own, under the PARENT of the cgroup
 * /proc/self/cgroup names. The caller's own cgroup holds tasks (the caller,
 * its shell), so no controller can be enabled for a child of it (cgroup
 * v2's no-internal-processes rule); its parent holds none where systemd
 * delegates (user@UID.service, Delegate=yes: the user's processes are in
 * its child scopes). No process of the user's is moved (Podman moves the
 * caller into a leaf instead). The parent counts as delegated when it is
 * the user's (owner of the directory, cgroup.procs and
 * cgroup.subtree_control writable), as systemd and `chown` leave it, and
 * holds no process itself.
 *
 * The container's cgroup is then the spec's cgroupsPath (the runtime's
 * default /moby-dick/ID, the jail's /moby-dick-jail/NAME) taken below that
 * parent, and a CgroupManager whose cgroup2 root is the parent makes it,
 * enabling the controllers from there down (never above: those are not the
 * user's). Device rules are not loaded (an ordinary user may not attach a
 * cgroup BPF program; runc's rootless mode skips them too): in a user
 * namespace the devices are the host's bind mounts, guarded by their modes.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { CgroupLayout } from './layout.js';
import { planV2, v2Controllers } from './resources.js';
import type { Resources } from '../spec/schema.js';

export interface Delegation {
  /** the delegated cgroup, as /proc/self/cgroup spells paths ("/user.slice/.../user@1000.service") */
  path: string;
  /** its directory under the cgroup2 mount */
  dir: string;
  /** what its cgroup.controllers lists: the controllers its children may be given */
  controllers: string[];
  /** the layout a CgroupManager makes the user's containers' cgroups in: its cgroup2 root is DIR */
  layout: CgroupLayout;
}

/** The file system questions findDelegation asks (tests give a fake tree). */
export interface DelegationProbe {
  /** /proc/self/cgroup */
  selfCgroup(): string;
  /** the owner's uid of FILE, null when it is not there */
  owner(file: string): number | null;
  writable(file: string): boolean;
  read(file: string): string;
}

export const REAL_PROBE: DelegationProbe = {
  selfCgroup: () => readFileSync('/proc/self/cgroup', 'utf8'),
  owner: (file) => {
    try {
      return statSync(file).uid;
    } catch {
      return null;
    }
  },
  writable: (file) => {
    try {
      accessSync(file, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  read: (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  },
};

/** The v2 path of /proc/self/cgroup's "0::PATH" line; null on a v1-only host. */
export function ownCgroupPath(text: string): string | null {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? null : line.slice(3) || '/';
}

/**
 * The cgroup delegated to UID where its containers' cgroups go: the parent
 * of the caller's own v2 cgroup when it is UID's; null on a v1 (or hybrid)
 * host, or when it is not.
 */
export function findDelegation(layout: CgroupLayout, uid: number, probe: DelegationProbe = REAL_PROBE): Delegation | null {
  if (layout.version !== 2 || !layout.unified) return null;
  const own = ownCgroupPath(probe.selfCgroup());
  if (own === null || own === '/' || own.includes('(deleted)')) return null;
  const path = dirname(own);
  if (path === '/') return null; // the root is never the user's
  const dir = join(layout.unified, path);
  if (probe.owner(dir) !== uid) return null;
  if (!probe.writable(join(dir, 'cgroup.procs')) || !probe.writable(join(dir, 'cgroup.subtree_control'))) return null;
  // a parent with processes of its own can give its children no controller (no internal processes)
  if (probe.read(join(dir, 'cgroup.procs')).trim() !== '') return null;
  const controllers = probe.read(join(dir, 'cgroup.controllers')).trim().split(/\s+/).filter(Boolean);
  return { path, dir, controllers, layout: { version: 2, v1: [], unified: dir } };
}

/**
 * The container's cgroup below the delegated cgroup: CGROUP_PATH (an
 * absolute path, cgroupPath's) as is when it already lies below it, else
 * taken as relative to it. The result is relative to Delegation.layout's root.
 */
export function delegatedCgroupPath(delegation: Delegation, cgroupPath: string): string {
  return cgroupPath.startsWith(`${delegation.path}/`) ? cgroupPath.slice(delegation.path.length) : cgroupPath;
}

/** RESOURCES without device rules: what a rootless container's cgroup is given. */
export function withoutDevices(resources: Resources | undefined): Resources {
  const { devices: _devices, ...rest } = resources ?? {};
  return rest;
}

/**
 * Limits whose controller the delegation lacks: refused in one line naming
 * the controller and how to delegate it (as Podman and crun say "the
 * requested cgroup controller `cpu` is not available"). WHAT names the
 * field or flag in the message.
 */
export function refuseUndelegated(resources: Resources | undefined, delegation: Delegation, what = 'linux.resources'): void {
  const needed = v2Controllers(planV2(withoutDevices(resources)));
  const missing = needed.filter((c) => !delegation.controllers.includes(c));
  if (missing.length > 0) throw undelegatedError(missing, delegation, what);
}

/** The one-line refusal of limits (WHAT) whose controllers MISSING the delegation lacks. */
export function undelegatedError(missing: readonly string[], delegation: Delegation, what: string): MobyDickError {
  const list = missing.join(', ');
  return new MobyDickError(
    'USAGE',
    `${what}: the cgroup controller${missing.length > 1 ? 's' : ''} ${list} ${missing.length > 1 ? 'are' : 'is'} not delegated to this user (${join(delegation.dir, 'cgroup.controllers')}: ${delegation.controllers.join(' ') || 'none'})`,
    {
      subject: missing[0],
      hint: `leave those limits out, or delegate ${list}: with systemd, Delegate=cpu cpuset io memory pids in /etc/systemd/system/user@.service.d/delegate.conf and systemctl daemon-reload; without, as root, +${missing.join(' +')} in cgroup.subtree_control of each cgroup above ${delegation.path}`,
    },
  );
}
