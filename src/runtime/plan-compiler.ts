/**
 * compilePlan(): a resolved container config -> the helper's steps. Pure, so
 * every decision about mounts, devices and the process is unit-tested
 * without root (plan-compiler.test.ts).
 */
import { MobyDickError } from '../errors.js';
import { capabilityMask } from '../linux/capabilities.js';
import { S_IFCHR } from '../linux/file-modes.js';
import { MS } from '../linux/mount-flags.js';
import { cloneFlags, type NamespaceKind } from '../linux/namespaces.js';
import { DEV_SYMLINKS, DEVICES, MASKED_PATHS, READONLY_PATHS } from '../spec/defaults.js';
import type { Overlay, ResolvedConfig } from './config.js';
import type { Op, Plan } from './plan.js';

/** One entry of the host's "/", for the host view. */
export interface HostRootEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink' | 'other';
  /** a symlink's target */
  target?: string;
}

export interface CompileOptions {
  debug?: boolean;
  /** the host's "/" (host-root.ts reads it); needed when there is no rootfs */
  hostRoot?: readonly HostRootEntry[];
}

/** The original moby-dick's namespaces, plus cgroup. */
export const NAMESPACES: readonly NamespaceKind[] = ['mount', 'uts', 'ipc', 'pid', 'network', 'cgroup'];

/** The scratch tmpfs of the original moby-dick. */
export const MYTMP = '/mytmp';

const NOSUID_NODEV_NOEXEC = MS.NOSUID | MS.NODEV | MS.NOEXEC;

function mountOp(target: string, fstype: string, flags: number, data = '', source = fstype): Op {
  return { op: 'mount', source, target, fstype, flags, data };
}

/** proc, a minimal /dev, read-only sysfs, as runc and Docker set them up. */
function jailMounts(config: ResolvedConfig): Op[] {
  const ops: Op[] = [
    { op: 'mkdir', path: '/proc', mode: 0o755 },
    mountOp('/proc', 'proc', NOSUID_NODEV_NOEXEC),
    { op: 'mkdir', path: '/dev', mode: 0o755 },
    mountOp('/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k'),
  ];
  for (const d of DEVICES) {
    ops.push({ op: 'mknod', path: `/dev/${d.name}`, mode: S_IFCHR | 0o666, major: d.major, minor: d.minor });
  }
  ops.push(
    { op: 'mkdir', path: '/dev/pts', mode: 0o755 },
    mountOp('/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5'),
    { op: 'mkdir', path: '/dev/shm', mode: 0o1777 },
    mountOp('/dev/shm', 'tmpfs', NOSUID_NODEV_NOEXEC, 'mode=1777,size=65536k', 'shm'),
    { op: 'mkdir', path: '/dev/mqueue', mode: 0o755 },
    mountOp('/dev/mqueue', 'mqueue', NOSUID_NODEV_NOEXEC),
  );
  for (const [target, path] of DEV_SYMLINKS) ops.push({ op: 'symlink', target, path });
  if (config.tty) ops.push({ op: 'touch', path: '/dev/console', mode: 0o620 });
  // Docker creates a missing working directory
  if (config.cwd !== '/') ops.push({ op: 'mkdir', path: config.cwd, mode: 0o755 });
  ops.push(
    { op: 'mkdir', path: '/sys', mode: 0o755 },
    mountOp('/sys', 'sysfs', NOSUID_NODEV_NOEXEC | MS.RDONLY),
  );
  return ops;
}

/** The overlay mount's options; the kernel takes one page of them. */
export function overlayData(overlay: Overlay): string {
  const data = `lowerdir=${overlay.lower.join(':')},upperdir=${overlay.upper},workdir=${overlay.work}`;
  if (data.length > 4095) {
    throw new MobyDickError('SETUP', `the image has too many layers to mount (${overlay.lower.length}; the overlay options exceed a page)`, {
      step: 'compile plan',
      subject: overlay.upper,
    });
  }
  return data;
}

/**
 * The container root is the rootfs directory, bind-mounted onto itself, or
 * the overlay mounted on it: in the container's own mount namespace either
 * way, so nothing is left on the host when it ends.
 */
function jailRoot(rootfs: string, config: ResolvedConfig): Op[] {
  const root: Op = config.overlay
    ? { op: 'mount_host', source: 'overlay', target: rootfs, fstype: 'overlay', flags: 0, data: overlayData(config.overlay) }
    : { op: 'mount_host', source: rootfs, target: rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '' };
  return [
    root,
    { op: 'setroot', path: rootfs },
    ...jailMounts(config),
  ];
}

/**
 * The host view: a tmpfs root holding recursive clones of every top-level
 * entry of the host's "/" (so files written there reach the host), a fresh
 * /proc for the new pid namespace, and /mytmp, which therefore never needs
 * to exist on the host. The tmpfs is staged over a directory already cloned.
 */
function hostViewRoot(host: readonly HostRootEntry[]): Op[] {
  const skip = new Set(['proc', MYTMP.slice(1)]);
  const cloned = host.filter((e) => (e.kind === 'dir' || e.kind === 'file') && !skip.has(e.name));
  const dirs = cloned.filter((e) => e.kind === 'dir').map((e) => e.name);
  const staging = ['tmp', 'mnt', 'run'].find((d) => dirs.includes(d)) ?? dirs[0];
  if (staging === undefined) {
    throw new MobyDickError('SETUP', 'the host\'s / has no directory to stage the container root on', {
      step: 'compile plan',
      subject: '/',
    });
  }
  const stagingPath = `/${staging}`;
  const ops: Op[] = cloned.map((e, slot) => ({ op: 'tree_clone', source: `/${e.name}`, slot }));
  ops.push(
    { op: 'mount_host', source: 'tmpfs', target: stagingPath, fstype: 'tmpfs', flags: 0, data: 'mode=755' },
    { op: 'setroot', path: stagingPath },
  );
  cloned.forEach((e, slot) => {
    const path = `/${e.name}`;
    ops.push(e.kind === 'dir' ? { op: 'mkdir', path, mode: 0o755 } : { op: 'touch', path, mode: 0o644 });
    ops.push({ op: 'tree_attach', slot, target: path });
  });
  for (const e of host) {
    if (e.kind === 'symlink' && e.target !== undefined && !skip.has(e.name)) {
      ops.push({ op: 'symlink', target: e.target, path: `/${e.name}` });
    }
  }
  ops.push({ op: 'mkdir', path: '/proc', mode: 0o555 }, mountOp('/proc', 'proc', NOSUID_NODEV_NOEXEC));
  return ops;
}

function processOps(config: ResolvedConfig): Op[] {
  const ops: Op[] = [];
  ops.push(config.tty ? { op: 'pty', console: config.rootfs === null ? '' : '/dev/console' } : { op: 'setsid' });
  const caps = config.capabilities === 'all' ? null : capabilityMask(config.capabilities);
  if (caps !== null) ops.push({ op: 'bounding', keep: caps });
  const { uid, gid, additionalGids } = config.user;
  if (uid !== 0 || gid !== 0 || additionalGids.length > 0) {
    ops.push({ op: 'user', uid, gid, groups: additionalGids });
  }
  if (caps !== null) {
    ops.push({ op: 'caps', effective: caps, permitted: caps, inheritable: caps, ambient: '0' });
  }
  ops.push({ op: 'cwd', path: config.cwd });
  for (const value of config.env) ops.push({ op: 'env', value });
  for (const value of config.command) ops.push({ op: 'arg', value });
  ops.push({ op: 'exec' });
  return ops;
}

/**
 * Whether the helper must run from a sealed memfd (CVE-2019-5736): when its
 * image stays visible inside the container, as pid 1 under --init. Without
 * --init the only process that runs helper code inside is pid 1 before its
 * exec, when nothing else in the pid namespace exists to open it. Sealing
 * costs an extra exec, about 1.5 ms. The OCI path (src/oci/lifecycle.ts,
 * the engine's containers, `--init` there too) always runs the helper
 * sealed, so it needs no such test.
 */
export function needsSealedHelper(config: ResolvedConfig): boolean {
  return config.init;
}

export function compilePlan(config: ResolvedConfig, options: CompileOptions = {}): Plan {
  const ops: Op[] = [{ op: 'clone', flags: cloneFlags(NAMESPACES) }];
  if (config.tty) ops.push({ op: 'tty', interactive: config.interactive });
  if (options.debug) ops.push({ op: 'debug' });
  if (config.init) ops.push({ op: 'init' });

  // modes in the plan are exact; the command gets Docker's umask back below
  ops.push({ op: 'umask', mask: 0 });
  // mounts made inside never propagate out; the host's still come in (runc's default)
  ops.push({ op: 'propagation', flags: MS.SLAVE | MS.REC });
  if (config.rootfs !== null) {
    ops.push(...jailRoot(config.rootfs, config));
  } else {
    ops.push(...hostViewRoot(options.hostRoot ?? []));
  }
  ops.push(
    { op: 'mkdir', path: MYTMP, mode: 0o755 },
    mountOp(MYTMP, 'tmpfs', MS.NOSUID | MS.NODEV, 'mode=1777'),
    { op: 'pivot' },
  );
  if (config.rootfs !== null) {
    for (const path of MASKED_PATHS) ops.push({ op: 'mask', path });
    for (const path of READONLY_PATHS) ops.push({ op: 'readonly', path });
    if (config.readOnly) ops.push({ op: 'remount', target: '/', flags: MS.RDONLY });
  }
  ops.push({ op: 'hostname', name: config.hostname }, { op: 'umask', mask: 0o022 });
  ops.push(...processOps(config));
  return ops;
}
