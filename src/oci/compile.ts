/**
 * compileOciPlan(): a validated config.json -> the helper's steps, in runc's
 * order: namespaces, cgroup placement, root bind, the spec's mounts,
 * devices, pivot_root, sysctls, masked and read-only paths, the process.
 * Pure: facts about the host (what a bind source is, the cgroup
 * hierarchies) come in as HostFacts, so it is unit-tested without root.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { MobyDickError } from '../errors.js';
import { type Capability, CAPABILITIES, capabilityMask } from '../linux/capabilities.js';
import { S_IFCHR } from '../linux/file-modes.js';
import { MS } from '../linux/mount-flags.js';
import { parseMountOptions, propagationFlags } from '../linux/mount-options.js';
import { NAMESPACE_FLAGS, type NamespaceKind } from '../linux/namespaces.js';
import { RLIMITS } from '../linux/rlimits.js';
import type { Op } from '../helper/plan.js';
import type { Overlay } from '../helper/config.js';
import { type HostView, hostViewRoot } from './host-view.js';
import type { CompiledSeccomp } from './seccomp.js';
import { sysctlDotted } from './spec-rules.js';
import { DEV_SYMLINKS, DEVICES } from '../spec/defaults.js';
import type { Mount, Process, Spec } from '../spec/schema.js';

export interface HostFacts {
  /** 'dir', 'file', or null when the bind source does not exist */
  kindOf(path: string): 'dir' | 'file' | null;
  /** v1 hierarchies as mounted on the host: mount point name and its options, e.g. ["memory", "memory"] */
  cgroupV1: readonly { name: string; options: string }[];
  /** whether the host has a cgroup2 hierarchy at /sys/fs/cgroup (v2-only) */
  cgroupV2Only: boolean;
}

export interface OciCompileOptions {
  bundle: string;
  /** create: park before exec until `start` opens this fifo; absent for `run` */
  fifo?: string;
  /** send the terminal's master here (--console-socket) */
  consoleSocket?: string;
  /** leave the container parked and let the helper go (create) */
  detach: boolean;
  /** stop for the engine to place the child in its cgroups */
  syncCgroup: boolean;
  /** the container's cgroup path, for bind-mounting its v1 cgroups in a user namespace */
  cgroupPath?: string;
  /**
   * v1 `tasks` files the child writes itself into after the cgroup sync
   * (join_cgroup), in place of the engine writing its pid to cgroup.procs:
   * that write waits for an RCU grace period, about 16 ms
   */
  joinCgroups?: readonly string[];
  /** --preserve-fds N */
  preserveFds?: number;
  /** --no-pivot: MS_MOVE and chroot instead of pivot_root */
  noPivot?: boolean;
  /** linux.seccomp, compiled (loadSpec does it) */
  seccomp?: CompiledSeccomp;
  debug?: boolean;
  host: HostFacts;
  /**
   * the engine's image containers: root.path is the mount point of this
   * overlay (the image's layers and the container's own), mounted inside the
   * container's mount namespace instead of the bind of root.path
   */
  overlay?: Overlay;
  /**
   * Docker's --init: the helper stays as the container's pid 1, forks the
   * command, forwards signals to it and reaps every zombie (native/src/init.c).
   * The helper's image then stays visible inside the container as pid 1's
   * exe: the caller must launch it sealed (OciRuntime always does).
   */
  init?: boolean;
  /**
   * with a terminal and no console socket: whether the caller's stdin
   * reaches it (`run -t` without `-i`: no); default yes, as `moby-dick-runtime run`
   */
  interactive?: boolean;
  /**
   * /dev/shm from another container's mount namespace (this path of it,
   * /proc/PID/ns/mnt): the engine's --ipc container:NAME shares the donor's
   * tmpfs, as Docker does; the spec then mounts nothing at /dev/shm
   */
  shmFrom?: string;
  /** make process.cwd when the root lacks it, as Docker's `run -w` does (the jail; runc does too) */
  makeCwd?: boolean;
  /**
   * the original form: the root is the host's "/", cloned (host-view.ts),
   * instead of the bind of root.path; no devices and no /dev/console are made
   * (the host's /dev is there), and the terminal is bound nowhere
   */
  hostView?: HostView;
}

/** The overlay mount's options; the kernel takes one page of them. */
export function overlayData(overlay: Overlay): string {
  const data = `lowerdir=${overlay.lower.join(':')},upperdir=${overlay.upper},workdir=${overlay.work}${overlay.volatile ? ',volatile' : ''}${overlay.userxattr ? ',userxattr' : ''}`;
  if (data.length > 4095) {
    throw new MobyDickError('SETUP', `the image has too many layers to mount (${overlay.lower.length}; the overlay options exceed a page)`, {
      step: 'compile plan',
      subject: overlay.upper,
    });
  }
  return data;
}

const OCI_TO_KIND: Record<string, NamespaceKind> = {
  pid: 'pid', network: 'network', mount: 'mount', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', user: 'user', time: 'time',
};

const PERSONA = { LINUX: 0x0000, LINUX32: 0x0008 } as const;

/**
 * A new time namespace is made by unshare, not clone (clone has no flag for
 * it); its offsets are written before anything enters it, and the process
 * enters it at exec.
 */
function timeNamespaceOps(spec: Spec): Op[] {
  const offsets = Object.entries(spec.linux?.timeOffsets ?? {}).map(([clock, o]) => {
    if (clock !== 'monotonic' && clock !== 'boottime') throw bad(`linux.timeOffsets.${clock}`, 'only monotonic and boottime have offsets');
    return `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}`;
  });
  return [
    { op: 'unshare', flags: NAMESPACE_FLAGS.time },
    ...(offsets.length ? [{ op: 'procwrite' as const, path: 'self/timens_offsets', value: offsets.join('\n') }] : []),
  ];
}

/** The max uint64 that JSON gives as 18446744073709552000 means "unlimited". */
function rlimitValue(n: number): string {
  return n >= 2 ** 63 ? 'unlimited' : String(n);
}

function knownCaps(list: readonly string[] | undefined): Capability[] {
  // runc ignores capabilities the kernel (here: our table) does not know
  return (list ?? []).filter((c): c is Capability => (CAPABILITIES as readonly string[]).includes(c));
}

function bad(field: string, problem: string): MobyDickError {
  return new MobyDickError('INVALID_CONFIG', `config.json: ${field}: ${problem}`, { subject: field });
}

interface NamespacePlan {
  flags: number;
  pre: Op[];
  joins: Op[];
  /** a mount namespace of the container's: made (clone) or joined by path; without one, the runtime's */
  ownMount: boolean;
  /** a uts namespace of the container's, made or joined (runc sets the hostname in either) */
  ownUts: boolean;
  newUser: boolean;
}

function namespaceOps(spec: Spec): NamespacePlan {
  let flags = 0;
  const pre: Op[] = [];
  const joins: Op[] = [];
  let ownMount = false;
  let ownUts = false;
  let newUser = false;
  for (const ns of spec.linux?.namespaces ?? []) {
    const kind = OCI_TO_KIND[ns.type];
    if (kind === undefined) continue;
    if (kind === 'mount') ownMount = true;
    if (kind === 'uts') ownUts = true;
    if (kind === 'time' && ns.path === undefined) continue; // made later: timeNamespaceOps
    if (ns.path === undefined) {
      flags += NAMESPACE_FLAGS[kind];
      if (kind === 'user') newUser = true;
    } else if (kind === 'pid') {
      pre.push({ op: 'join_pid', path: ns.path });
    } else {
      joins.push({ op: 'setns', path: ns.path, nstype: NAMESPACE_FLAGS[kind] });
    }
  }
  // a user namespace first (it owns the others), the mount namespace last (the other paths are resolved in ours)
  const rank = (o: Op): number => (o.op !== 'setns' ? 1 : o.nstype === NAMESPACE_FLAGS.user ? 0 : o.nstype === NAMESPACE_FLAGS.mount ? 2 : 1);
  joins.sort((a, b) => rank(a) - rank(b));
  return { flags, pre, joins, ownMount, ownUts, newUser };
}

/** /sys/fs/cgroup inside: the container's own cgroups (it runs in a cgroup namespace). */
function cgroupMount(m: Mount, flags: number, host: HostFacts, bind: { cgroupPath: string } | null): Op[] {
  const ro = flags & MS.RDONLY;
  if (bind && !host.cgroupV2Only) {
    const ops: Op[] = [
      { op: 'mkdir', path: m.destination, mode: 0o755 },
      { op: 'mount', source: 'tmpfs', target: m.destination, fstype: 'tmpfs', flags: flags & ~MS.RDONLY, data: 'mode=755' },
    ];
    for (const h of host.cgroupV1) {
      const target = `${m.destination}/${h.name}`;
      ops.push(
        { op: 'mkdir', path: target, mode: 0o755 },
        { op: 'mount', source: `/sys/fs/cgroup/${h.name}${bind.cgroupPath}`, target, fstype: '', flags: MS.BIND | MS.REC, data: '' },
      );
      if (ro) ops.push({ op: 'remount', target, flags: MS.RDONLY });
    }
    return ops;
  }
  if (host.cgroupV2Only) {
    return [{ op: 'mkdir', path: m.destination, mode: 0o755 }, { op: 'mount', source: 'cgroup2', target: m.destination, fstype: 'cgroup2', flags, data: '' }];
  }
  const ops: Op[] = [
    { op: 'mkdir', path: m.destination, mode: 0o755 },
    { op: 'mount', source: 'tmpfs', target: m.destination, fstype: 'tmpfs', flags: flags & ~MS.RDONLY, data: 'mode=755' },
  ];
  for (const h of host.cgroupV1) {
    const target = `${m.destination}/${h.name}`;
    ops.push({ op: 'mkdir', path: target, mode: 0o755 });
    ops.push({ op: 'mount', source: 'cgroup', target, fstype: h.name === 'unified' ? 'cgroup2' : 'cgroup', flags, data: h.name === 'unified' ? '' : h.options });
  }
  if (ro) ops.push({ op: 'remount', target: m.destination, flags: MS.RDONLY });
  return ops;
}

function mountOps(m: Mount, i: number, bundle: string, host: HostFacts, bindCgroups: { cgroupPath: string } | null): Op[] {
  const o = parseMountOptions(m.options);
  const dest = m.destination.startsWith('/') ? m.destination : `/${m.destination}`;
  const type = m.type ?? (o.bind ? 'bind' : '');
  const ops: Op[] = [];
  if (type === 'cgroup') return cgroupMount({ ...m, destination: dest }, o.flags, host, bindCgroups);
  if (o.bind || type === 'bind') {
    if (!m.source) throw bad(`mounts[${i}].source`, 'a bind mount needs a source');
    const source = isAbsolute(m.source) ? m.source : resolve(bundle, m.source);
    const kind = host.kindOf(source);
    if (kind === null) throw bad(`mounts[${i}].source`, `${source} does not exist`);
    // a file target's directories may be missing from the image (Podman binds /run/.containerenv into
    // images without /run): made as runc does; a directory target's mkdir makes its parents itself
    if (kind === 'dir') ops.push({ op: 'mkdir', path: dest, mode: 0o755 });
    else ops.push(...parentDirOps(dest), { op: 'touch', path: dest, mode: 0o644 });
    ops.push({ op: 'mount', source, target: dest, fstype: '', flags: MS.BIND | (o.recursive ? MS.REC : 0), data: '' });
    // a bind mount ignores other flags: they need a remount
    const extra = o.flags & ~MS.REMOUNT;
    if (extra) ops.push({ op: 'remount', target: dest, flags: extra });
  } else {
    if (type === '') throw bad(`mounts[${i}].type`, 'required unless the options say bind or rbind');
    ops.push({ op: 'mkdir', path: dest, mode: 0o755 });
    ops.push({ op: 'mount', source: m.source ?? type, target: dest, fstype: type, flags: o.flags, data: o.data });
  }
  if (o.propagation) ops.push({ op: 'propagate', target: dest, flags: o.propagation });
  return ops;
}

function isBind(m: Mount): boolean {
  return m.type === 'bind' || parseMountOptions(m.options).bind;
}

/** In a user namespace mknod is not allowed: bind the host's node instead, as runc does. */
function bindDevice(ops: Op[]): Op[] {
  return ops.flatMap((o): Op[] =>
    o.op === 'mknod'
      ? [{ op: 'touch', path: o.path, mode: 0o644 }, { op: 'bind_device', source: o.path, target: o.path }]
      : o.op === 'chown'
        ? []
        : [o],
  );
}

/** mkdirs of PATH's directories below / (and below /dev, which the spec's mounts made), outermost first. */
function parentDirOps(path: string): Op[] {
  const parent = dirname(path);
  return parent === '/' || parent === '/dev' ? [] : [...parentDirOps(parent), { op: 'mkdir', path: parent, mode: 0o755 }];
}

/** runc's default devices, the spec's own, and the /dev symlinks, when /dev is ours to fill. */
function deviceOps(spec: Spec): Op[] {
  const ops: Op[] = [];
  const devices = spec.linux?.devices ?? [];
  const listed = new Set(devices.map((d) => d.path));
  for (const d of DEVICES) {
    const path = `/dev/${d.name}`;
    if (!listed.has(path)) ops.push({ op: 'mknod', path, mode: S_IFCHR | 0o666, major: d.major, minor: d.minor });
  }
  devices.forEach((d, i) => {
    ops.push(...parentDirOps(d.path)); // /dev/net/tun: /dev/net is made, as runc does
    if (d.type === 'p') {
      ops.push({ op: 'mknod', path: d.path, mode: 0o010000 | (d.fileMode ?? 0o666), major: 0, minor: 0 });
    } else {
      if (d.major === undefined || d.minor === undefined) throw bad(`linux.devices[${i}]`, 'major and minor are required');
      const type = d.type === 'b' ? 0o060000 : S_IFCHR;
      ops.push({ op: 'mknod', path: d.path, mode: type | ((d.fileMode ?? 0o666) & 0o7777), major: d.major, minor: d.minor });
    }
    if (d.uid !== undefined || d.gid !== undefined) ops.push({ op: 'chown', path: d.path, uid: d.uid ?? 0, gid: d.gid ?? 0 });
  });
  for (const [target, path] of DEV_SYMLINKS) ops.push({ op: 'symlink', target, path });
  return ops;
}

export interface ProcessOpsOptions {
  /** bind the terminal onto this path inside ('' for none) */
  console: string;
  /** the container's seccomp filter, compiled */
  seccomp?: CompiledSeccomp;
  /** switch uid and gid even to 0:0 (a process that joined a user namespace is nobody until it does) */
  alwaysSetUser?: boolean;
  /** what happens between resolving the command and exec: park on the fifo, or release */
  beforeExec: 'fifo_wait' | 'release' | null;
  /** process.oomScoreAdj is written by the runtime from outside (a user namespace: its root may not lower it) */
  oomFromOutside?: boolean;
}

/** The process half of a plan: terminal, limits, user, capabilities, cwd, env, args, exec. */
export function processOps(p: Process, options: ProcessOpsOptions): Op[] {
  const ops: Op[] = [{ op: 'umask', mask: p.user.umask ?? 0o022 }];
  ops.push(p.terminal ? { op: 'pty', console: options.console } : { op: 'setsid' });
  for (const r of p.rlimits ?? []) {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw bad('process.rlimits', `unknown ${r.type}`);
    if (r.soft > r.hard) throw bad('process.rlimits', `${r.type}: soft ${r.soft} above hard ${r.hard}`);
    ops.push({ op: 'rlimit', resource, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard) });
  }
  if (p.oomScoreAdj !== undefined && !options.oomFromOutside) ops.push({ op: 'procwrite', path: 'self/oom_score_adj', value: String(p.oomScoreAdj) });
  // without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before capabilities are dropped (runc's order),
  // and so before the working directory too (as root, runc's first try), which a profile may forbid
  const filter: Op | null = options.seccomp ? { op: 'seccomp', flags: options.seccomp.flags, program: options.seccomp.program } : null;
  const early = filter !== null && !p.noNewPrivileges;
  if (early) ops.push({ op: 'cwd', path: p.cwd }, filter);
  const caps = p.capabilities;
  if (caps) ops.push({ op: 'bounding', keep: capabilityMask(knownCaps(caps.bounding)) });
  const { uid, gid, additionalGids = [] } = p.user;
  if (uid !== 0 || gid !== 0 || additionalGids.length > 0 || options.alwaysSetUser) ops.push({ op: 'user', uid, gid, groups: additionalGids });
  if (caps) {
    ops.push({
      op: 'caps',
      effective: capabilityMask(knownCaps(caps.effective)),
      permitted: capabilityMask(knownCaps(caps.permitted)),
      inheritable: capabilityMask(knownCaps(caps.inheritable)),
      ambient: capabilityMask(knownCaps(caps.ambient)),
    });
  }
  if (p.noNewPrivileges) ops.push({ op: 'nonewprivs' });
  if (!early) ops.push({ op: 'cwd', path: p.cwd });
  for (const value of p.env ?? []) ops.push({ op: 'env', value });
  for (const value of p.args) ops.push({ op: 'arg', value });
  if (options.beforeExec) ops.push({ op: 'exec_check' }, { op: options.beforeExec });
  // with no_new_privs, as late as possible: the fewest syscalls run under it before exec
  if (filter && p.noNewPrivileges) ops.push(filter);
  ops.push({ op: 'exec' });
  return ops;
}

/**
 * A container in the runtime's mount namespace, as runc runs one: its root
 * is a bind of root.path on the host, chrooted into, with the spec's mounts
 * under it. What would change the host's mounts themselves is refused.
 */
function refuseWithoutMountNamespace(spec: Spec, options: OciCompileOptions): void {
  const why = 'needs a mount namespace in linux.namespaces';
  if (spec.linux?.rootfsPropagation) throw bad('linux.rootfsPropagation', `${why}: without one it would change the propagation of the host's mounts`);
  // runc's words: "unable to restrict sys entries without a private MNT namespace"
  if (spec.linux?.maskedPaths?.length) throw bad('linux.maskedPaths', `${why}: without one the host's /proc and /sys would be masked`);
  if (spec.linux?.readonlyPaths?.length) throw bad('linux.readonlyPaths', `${why}: without one the host's /proc and /sys would be made read-only`);
  if (options.overlay) throw bad('linux.namespaces', 'an image container needs a mount namespace of its own');
}

export function compileOciPlan(spec: Spec, options: OciCompileOptions): Op[] {
  const root = spec.root!;
  const p = spec.process!;
  const rootfs = isAbsolute(root.path) ? root.path : resolve(options.bundle, root.path);
  const ns = namespaceOps(spec);
  const rootPropagation = spec.linux?.rootfsPropagation ? propagationFlags(spec.linux.rootfsPropagation) : 0;
  if (!ns.ownMount) refuseWithoutMountNamespace(spec, options);

  // a cgroup namespace is rooted where the process is when it is made: after the sync
  const lateCgroupNs = options.syncCgroup && (ns.flags & NAMESPACE_FLAGS.cgroup) !== 0;
  const cloneFlags = lateCgroupNs ? ns.flags - NAMESPACE_FLAGS.cgroup : ns.flags;
  const ops: Op[] = [{ op: 'clone', flags: cloneFlags }, ...ns.pre];
  if (p.terminal) ops.push({ op: 'tty', interactive: options.consoleSocket === undefined && options.interactive !== false });
  if (options.consoleSocket !== undefined) ops.push({ op: 'console_socket', path: options.consoleSocket });
  if (options.detach) ops.push({ op: 'detach' });
  if (options.debug) ops.push({ op: 'debug' });
  if (options.init) ops.push({ op: 'init' });
  if (options.preserveFds) ops.push({ op: 'preserve_fds', count: options.preserveFds });
  // the fifo first: still host root here, this process can reach the state directory (0700, as runc's)
  if (options.fifo !== undefined) ops.push({ op: 'fifo_open', path: options.fifo });
  if (ns.newUser) {
    // the engine writes uid_map and gid_map; then this process is root of its namespace, if root is mapped
    ops.push({ op: 'sync', name: 'userns' });
    const mapsRoot = (m: { containerID: number }[] | undefined): boolean => (m ?? []).some((x) => x.containerID === 0);
    if (mapsRoot(spec.linux?.uidMappings) && mapsRoot(spec.linux?.gidMappings)) ops.push({ op: 'user', uid: 0, gid: 0, groups: [] });
  }
  ops.push(...ns.joins);
  if (options.syncCgroup) ops.push({ op: 'sync', name: 'cgroup' });
  for (const path of options.joinCgroups ?? []) ops.push({ op: 'join_cgroup', path });
  if (lateCgroupNs) ops.push({ op: 'unshare', flags: NAMESPACE_FLAGS.cgroup });
  if (spec.linux?.namespaces?.some((n) => n.type === 'time' && n.path === undefined)) ops.push(...timeNamespaceOps(spec));
  ops.push({ op: 'umask', mask: 0 });

  if (ns.ownMount) {
    // runc's prepareRoot: the namespace's mounts as asked (rslave by default: the host's still come in, ours
    // never go out), then the mount that holds the root private (slave for slave and rslave): pivot_root
    // refuses a shared parent, and a bind under a shared mount would propagate to its peers
    ops.push({ op: 'propagation', flags: rootPropagation || MS.SLAVE | MS.REC });
    if (!options.hostView) ops.push({ op: 'propagate_up', path: rootfs, flags: rootPropagation & MS.SLAVE ? MS.SLAVE : MS.PRIVATE });
  }
  if (options.hostView) {
    if (!ns.ownMount) throw bad('linux.namespaces', 'the host view needs a mount namespace of its own');
    // the entries the spec mounts over (/proc, /mytmp) are not cloned: they need not exist on the host
    const mounted = new Set((spec.mounts ?? []).map((m) => m.destination.replace(/^\/+|\/+$/g, '')).filter((d) => d !== '' && !d.includes('/')));
    ops.push(...hostViewRoot(options.hostView, mounted));
  } else {
    ops.push(
      options.overlay
        ? { op: 'mount_host', source: 'overlay', target: rootfs, fstype: 'overlay', flags: 0, data: overlayData(options.overlay) }
        : { op: 'mount_host', source: rootfs, target: rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '' },
      { op: 'setroot', path: rootfs },
    );
  }
  // in the runtime's mount namespace the bind is on the host: private, so that nothing mounted under it
  // propagates anywhere, and one detach at delete takes it all (host-bind.ts); the host's own mounts are left alone
  if (!ns.ownMount) ops.push({ op: 'propagate', target: '/', flags: MS.PRIVATE | MS.REC });

  // v1 cgroups are bound, not mounted, from a user namespace (mounting is not allowed) and without a
  // cgroup namespace of its own (a mount would show the host's root cgroup), as runc does
  const bindCgroups = ns.newUser || (ns.flags & NAMESPACE_FLAGS.cgroup) === 0 ? { cgroupPath: options.cgroupPath ?? '/' } : null;
  let devIsBind = false;
  (spec.mounts ?? []).forEach((m, i) => {
    ops.push(...mountOps(m, i, options.bundle, options.host, bindCgroups));
    if (m.destination.replace(/\/+$/, '') === '/dev') devIsBind = isBind(m);
  });
  if (options.shmFrom !== undefined) {
    ops.push({ op: 'mkdir', path: '/dev/shm', mode: 0o1777 }, { op: 'shm_clone', nsPath: options.shmFrom, slot: 0 }, { op: 'tree_attach', slot: 0, target: '/dev/shm' });
  }
  // runc's rule: the default devices and links unless /dev is a bind mount (the caller's own /dev, often the
  // host's); into the root's own /dev when nothing is mounted there. A device the root already has must be
  // that device (native/src/rootfs.c checks), and masked files are covered only with a checked /dev/null.
  const devices = options.hostView ? [] : !devIsBind ? deviceOps(spec) : spec.linux?.devices?.length ? deviceOps(spec).filter((o) => o.op !== 'symlink') : [];
  ops.push(...(ns.newUser ? bindDevice(devices) : devices));
  if (p.terminal && !options.hostView) ops.push({ op: 'touch', path: '/dev/console', mode: 0o620 });
  if (options.makeCwd && p.cwd !== '/') ops.push({ op: 'mkdir', path: p.cwd, mode: 0o755 });

  // prestart, createRuntime and createContainer hooks run here: namespaces made, root not yet pivoted
  const hooks = spec.hooks ?? {};
  if (hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length) {
    ops.push({ op: 'sync', name: 'create-hooks' });
  }
  ops.push(!ns.ownMount ? { op: 'chroot' } : options.noPivot ? { op: 'move_root' } : { op: 'pivot' });
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    if (!/^[a-zA-Z0-9_.\-/]+$/.test(key) || key.includes('..')) throw bad(`linux.sysctl.${key}`, 'not a sysctl name');
    // net.ipv4.conf.eth0/100.forwarding: a "/" in the dotted name is a "." in the path (eth0.100), as runc reads it
    ops.push({ op: 'procwrite', path: `sys/${sysctlDotted(key).replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`, value });
  }
  for (const path of spec.linux?.maskedPaths ?? []) ops.push({ op: 'mask', path });
  for (const path of spec.linux?.readonlyPaths ?? []) ops.push({ op: 'readonly', path });
  if (root.readonly) ops.push({ op: 'remount', target: '/', flags: MS.RDONLY });
  // as runc and crun: shared and unbindable are set on the new root after pivot_root (set before, they would
  // reach the parent namespace's copy of it); private and slave were set before. After the masks and read-only
  // paths, which bind /dev/null and the paths themselves: a bind from a runbindable tree fails (EINVAL)
  if (rootPropagation && !(rootPropagation & (MS.PRIVATE | MS.SLAVE))) ops.push({ op: 'propagate', target: '/', flags: rootPropagation });
  // as runc: set when not empty, in the container's uts namespace, new or joined (spec-rules.ts refuses the runtime's own)
  if (spec.hostname) {
    if (!ns.ownUts) throw bad('hostname', 'needs a uts namespace in linux.namespaces, new or joined by path');
    ops.push({ op: 'hostname', name: spec.hostname });
  }
  if (spec.domainname) ops.push({ op: 'domainname', name: spec.domainname });
  if (spec.linux?.personality) ops.push({ op: 'personality', persona: PERSONA[spec.linux.personality.domain] });
  ops.push(...processOps(p, { console: options.hostView ? '' : '/dev/console', beforeExec: options.fifo !== undefined ? 'fifo_wait' : null, seccomp: options.seccomp, oomFromOutside: ns.newUser }));
  // run (no fifo): startContainer hooks run here, just before the command
  if (options.fifo === undefined && hooks.startContainer?.length) ops.splice(ops.length - 1, 0, { op: 'sync', name: 'start-hooks' });
  return ops;
}
