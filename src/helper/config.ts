/**
 * ContainerConfig: what a caller asks for (library API and CLI alike), and
 * resolveConfig(), which validates it and fills in Docker's defaults so the
 * plan compiler sees only explicit values.
 */
import { isAbsolute } from 'node:path';
import { MobyDickError } from '../errors.js';
import { type Capability, CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';

export interface User {
  uid: number;
  gid: number;
  additionalGids?: readonly number[];
}

export interface ContainerConfig {
  /** the command and its arguments; searched in the container's PATH */
  command: readonly string[];
  /**
   * the container's root directory (pivot_root into it); without one the
   * container sees the host's filesystem, as the original moby-dick did
   */
  rootfs?: string;
  /**
   * an overlay mounted on rootfs inside the container's mount namespace
   * (nothing shows on the host): read-only LOWER directories, topmost first,
   * and a writable UPPER with its WORK directory (an image's layers and a
   * container's own layer)
   */
  overlay?: Overlay;
  /** default "containerhostname" */
  hostname?: string;
  /** KEY=VALUE entries; default: Docker's (PATH, HOSTNAME, HOME, TERM with a tty) */
  env?: readonly string[];
  /** working directory inside the container; default "/" */
  cwd?: string;
  /** default root (0:0) */
  user?: User;
  /** mount the root filesystem read-only (with rootfs) */
  readOnly?: boolean;
  /** give the command a pseudo-terminal */
  tty?: boolean;
  /** pass stdin to the command (with tty: relay keystrokes) */
  interactive?: boolean;
  /** run a minimal init as pid 1 that reaps zombies and forwards signals */
  init?: boolean;
  /**
   * capabilities the command keeps; default: Docker's 14 without CAP_MKNOD
   * under a rootfs (no device cgroup yet), all of them on the host view
   */
  capabilities?: readonly Capability[] | 'all';
}

export interface Overlay {
  lower: readonly string[];
  upper: string;
  work: string;
  /** overlay's volatile option: no sync of the upper filesystem (a build step's container, removed right after) */
  volatile?: boolean;
  /** overlay's userxattr option: mounted in a user namespace (rootless), whiteouts and opaque dirs as user.overlay.* xattrs */
  userxattr?: boolean;
}

export interface ResolvedConfig {
  command: readonly string[];
  rootfs: string | null;
  overlay: Overlay | null;
  hostname: string;
  env: readonly string[];
  cwd: string;
  user: Required<User>;
  readOnly: boolean;
  tty: boolean;
  interactive: boolean;
  init: boolean;
  capabilities: readonly Capability[] | 'all';
}

export const DEFAULT_HOSTNAME = 'containerhostname';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Until device cgroups exist, CAP_MKNOD would let root inside open host disks. */
export const JAIL_CAPABILITIES: readonly Capability[] = DOCKER_DEFAULT_CAPABILITIES.filter(
  (c) => c !== 'CAP_MKNOD',
);

function invalid(field: string, problem: string, value?: unknown): MobyDickError {
  const shown = value === undefined ? '' : `: ${JSON.stringify(value)}`;
  return new MobyDickError('INVALID_CONFIG', `invalid ${field}${shown}: ${problem}`, {
    subject: field,
  });
}

// The plan travels as NUL-separated strings, and the kernel takes C strings.
function checkString(field: string, value: string): void {
  if (value.includes('\0')) throw invalid(field, 'contains a NUL byte', value);
}

function checkId(field: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) {
    throw invalid(field, 'must be an integer from 0 to 4294967294', id);
  }
}

/** Docker's default environment, with the caller's entries overriding it. */
export function defaultEnv(hostname: string, uid: number, tty: boolean): string[] {
  const env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`];
  if (tty) env.push('TERM=xterm');
  env.push(`HOME=${uid === 0 ? '/root' : '/'}`);
  return env;
}

export function resolveConfig(config: ContainerConfig): ResolvedConfig {
  const command = [...config.command];
  if (command.length === 0 || command[0] === '') throw invalid('command', 'no command given');
  command.forEach((arg, i) => checkString(`command[${i}]`, arg));

  const rootfs = config.rootfs ?? null;
  if (rootfs !== null) {
    checkString('rootfs', rootfs);
    if (!isAbsolute(rootfs)) throw invalid('rootfs', 'must be an absolute path', rootfs);
  }

  const overlay = config.overlay ?? null;
  if (overlay !== null) {
    if (rootfs === null) throw invalid('overlay', 'needs a rootfs to mount on');
    if (overlay.lower.length === 0) throw invalid('overlay.lower', 'needs at least one directory');
    const dirs: [string, string][] = [...overlay.lower.map((d, i): [string, string] => [`overlay.lower[${i}]`, d]), ['overlay.upper', overlay.upper], ['overlay.work', overlay.work]];
    for (const [field, dir] of dirs) {
      checkString(field, dir);
      if (!isAbsolute(dir)) throw invalid(field, 'must be an absolute path', dir);
      // the mount option string separates with these; the store never makes such names
      if (/[,:\\]/.test(dir)) throw invalid(field, 'must not contain ",", ":" or "\\"', dir);
    }
  }

  const hostname = config.hostname ?? DEFAULT_HOSTNAME;
  checkString('hostname', hostname);
  if (hostname.length === 0 || hostname.length > 64) {
    throw invalid('hostname', 'must be 1 to 64 characters', hostname);
  }

  const user = {
    uid: config.user?.uid ?? 0,
    gid: config.user?.gid ?? 0,
    additionalGids: [...(config.user?.additionalGids ?? [])],
  };
  checkId('user.uid', user.uid);
  checkId('user.gid', user.gid);
  user.additionalGids.forEach((g, i) => checkId(`user.additionalGids[${i}]`, g));

  const tty = config.tty ?? false;
  const env = config.env ? [...config.env] : defaultEnv(hostname, user.uid, tty);
  env.forEach((e, i) => {
    checkString(`env[${i}]`, e);
    if (!e.includes('=') || e.startsWith('=')) throw invalid(`env[${i}]`, 'must be KEY=VALUE', e);
  });

  const cwd = config.cwd ?? '/';
  checkString('cwd', cwd);
  if (!isAbsolute(cwd)) throw invalid('cwd', 'must be an absolute path', cwd);

  const readOnly = config.readOnly ?? false;
  if (readOnly && rootfs === null) throw invalid('readOnly', 'needs a rootfs');

  const capabilities = config.capabilities ?? (rootfs === null ? 'all' : JAIL_CAPABILITIES);
  if (capabilities !== 'all') {
    for (const c of capabilities) {
      if (!CAPABILITIES.includes(c)) throw invalid('capabilities', 'unknown capability', c);
    }
  }

  return {
    command,
    rootfs,
    overlay,
    hostname,
    env,
    cwd,
    user,
    readOnly,
    tty,
    interactive: config.interactive ?? false,
    init: config.init ?? false,
    capabilities,
  };
}
