/**
 * Running as an ordinary user (rootless, as Podman does): whether we are,
 * the user namespace the user's containers get, where their state and
 * store live. The impure half: it reads the process's ids, /etc/subuid and
 * /etc/subgid and the environment.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { parseSubIds, rootlessMappings } from './id-maps.js';
import { type UserNamespaceMaps, writeRootlessMaps } from './write-maps.js';

/** Whether this process runs as an ordinary user (no root of the host). */
export function isRootless(): boolean {
  return (process.geteuid?.() ?? 0) !== 0;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** This user's name, '' for a uid without a passwd entry (only numeric subuid entries can match then) */
export function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/**
 * The maps of this user's containers: the user as root inside, the user's
 * /etc/subuid and /etc/subgid ranges as 1.. (or the user alone without).
 */
export function userNamespaceMaps(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): UserNamespaceMaps {
  const uid = process.geteuid!();
  const gid = process.getegid!();
  const name = userName();
  return {
    uidMappings: rootlessMappings(uid, parseSubIds(readOr(files.subuid), name, uid)),
    gidMappings: rootlessMappings(gid, parseSubIds(readOr(files.subgid), name, gid)),
  };
}

/** The engine's work at the "userns" sync point of this user's container. */
export function mapUserNamespace(pid: number, maps: UserNamespaceMaps): void {
  writeRootlessMaps(pid, maps, process.geteuid!(), process.getegid!());
}

function ownDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/**
 * The user's run-time directory, as Podman picks it: $XDG_RUNTIME_DIR,
 * else /run/user/UID when it is the user's own, else a directory of the
 * user's own under TMPDIR (made 0700).
 */
export function userRuntimeDir(env: NodeJS.ProcessEnv = process.env, uid = process.geteuid!(), runUser = '/run/user'): string {
  if (env.XDG_RUNTIME_DIR) return env.XDG_RUNTIME_DIR;
  const run = join(runUser, String(uid));
  if (ownDir(run)) return run;
  const tmp = join(env.TMPDIR || '/tmp', `moby-dick-run-${uid}`);
  try {
    mkdirSync(tmp, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (!ownDir(tmp)) {
    throw new MobyDickError('SETUP', `${tmp} is not a directory of yours (mode 0700)`, {
      subject: tmp,
      hint: 'set XDG_RUNTIME_DIR to a directory only you can write',
    });
  }
  return tmp;
}

/** The user's data directory: $XDG_DATA_HOME, else ~/.local/share. */
export function userDataHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_DATA_HOME) return env.XDG_DATA_HOME;
  return join(env.HOME || userInfo().homedir, '.local', 'share');
}

/**
 * The engine's commands an ordinary user may run: the store under
 * $XDG_DATA_HOME/moby-dick unpacks layers in the user namespace
 * (jail/rootless-store.ts); containers run in the user's user namespace
 * with pasta, host or none networks (engine/rootless-container.ts).
 */
export const ROOTLESS_IMAGE_COMMANDS: ReadonlySet<string> = new Set([
  'pull', 'load', 'images', 'rmi', 'tag', 'save', 'history', 'rootless-unpack', 'rootless-remove',
  // containers from images: pasta, host or none networks (src/engine/rootless-container.ts)
  'run', 'create', 'start', 'ps', 'logs', 'stop', 'kill', 'rm', 'exec', 'wait', 'inspect', 'container-exited', 'container-health', 'port',
  // named volumes: directories of the user's store, mounted inside the container's user namespace
  'volume',
  // the container's files as a tar, read in the user namespace (engine/export.ts)
  'export', 'rootless-export',
  // its processes from /proc (engine/container-processes.ts); its use from a delegated cgroup, refused without one
  'top', 'stats',
  // the Engine API on $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock over this engine (api/rootless-routes.ts)
  'system service',
  // files in and out of a container, its half done in the user namespace (engine/rootless-copy.ts)
  'cp', 'rootless-cp',
  // a container's changes read in the user namespace (build/rootless-layer.ts)
  'diff', 'commit', 'rootless-layer',
  // frozen and limited in a delegated cgroup v2 subtree, refused in one line without one (engine/rootless-container.ts); restart policies always
  'pause', 'unpause', 'update',
  // a container's record and run again; the store's disk use
  'restart', 'rename', 'system df',
  // images from Dockerfiles: RUN in rootless containers, a step's files written in the user namespace (build/rootless-steps.ts)
  'build', 'rootless-build-step',
  // the user's engine described, its events, a container's stdio, the user's stopped containers and unused images removed, a tar made an image
  'info', 'system info', 'events', 'attach', 'container prune', 'image prune', 'import',
]);

/** The group commands' subcommands whose top-level command has another name (docker's `container ls` is `ps`). */
const GROUP_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  container: { ls: 'ps', list: 'ps', ps: 'ps', remove: 'rm', prune: 'container prune' },
  image: { ls: 'images', list: 'images', rm: 'rmi', remove: 'rmi', prune: 'image prune' },
};

/**
 * The command named by the CLI's WORDS (its arguments without options) as
 * ROOTLESS_IMAGE_COMMANDS names it: a group's subcommand by its top-level
 * name (`container ls` is `ps`, `image rm` is `rmi`), `system X` whole.
 */
export function commandOf(words: readonly string[]): string {
  const [first, sub] = words;
  if (first === undefined) return 'moby-dick';
  if (sub === undefined) return first;
  if (first === 'system') return `system ${sub}`;
  const group = GROUP_NAMES[first];
  return group ? (group[sub] ?? sub) : first;
}

/**
 * The engine's other commands (push, system prune) as an
 * ordinary user: refused in one line until they are tried rootless;
 * networks need root.
 */
export function refuseRootlessEngine(command: string, rootless = isRootless()): void {
  if (!rootless || ROOTLESS_IMAGE_COMMANDS.has(command)) return;
  if (command === 'network') {
    throw new MobyDickError('NOT_ROOT', 'network: networks need root (rootless: bridges and user-defined networks are not available to an ordinary user)', {
      subject: command,
      hint: 'run it as root; a rootless container has its own network through pasta, host or none',
    });
  }
  throw new MobyDickError('NOT_ROOT', `${command}: not available to an ordinary user yet (rootless: images, build, volumes, containers, their files (cp, diff, commit, export), the original form and run --rootfs)`, {
    subject: command,
    hint: 'run it as root, or run a root filesystem with `moby-dick run --rootfs DIR`',
  });
}

/**
 * Cgroup limits asked of a rootless container where no cgroup v2 subtree is
 * delegated to the user (cgroups/delegation.ts): refused in one line, as
 * rootless Podman refuses them on such a host.
 */
export function refuseRootlessLimits(what: readonly string[]): void {
  if (what.length === 0) return;
  throw new MobyDickError('USAGE', `${what.join(', ')}: cgroup limits are not available to a rootless container (no cgroup v2 subtree is delegated to this user)`, {
    subject: what[0],
    hint: 'leave the limits out, run as root, or on a cgroup v2 host run from a cgroup whose parent is delegated to you (systemd\'s user@UID.service)',
  });
}
