/**
 * `moby-dick system service`: the Engine API on a unix socket until a
 * SIGTERM or SIGINT, or until it has been idle (no connection) for the
 * timeout. The socket is made with mode 0660 (root's, or root and the
 * --group's; an ordinary user's: 0600, the user's), never readable by
 * others even for a moment (the umask while it is made). TCP only with
 * TLS and client verification (dockerd's --tlsverify): the API gives root
 * to whoever reaches it, so a client must show a certificate of the given
 * CA. Stopping leaves containers running: their monitors own them, and the
 * next service finds them in the store.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { isRootless, userRuntimeDir } from '../rootless/rootless.js';
import { rootlessRoutes } from './rootless-routes.js';
import { Execs } from './exec.js';
import { forwardedBuildRoutes, type ForwardedBuildRunner } from './forwarded-build.js';
import { type IdleRelease, IdleReleaseSchedule } from './idle-release.js';
import { apiRoutes } from './routes.js';
import { type Route, Router } from './router.js';
import { createApiServer, type TlsFiles } from './server.js';

export type { TlsFiles };
import { Sessions } from './sessions.js';

export type { ForwardedBuildRunner, ForwardedIo } from './forwarded-build.js';
export type { IdleRelease } from './idle-release.js';

export const DEFAULT_HOST = 'unix:///run/moby-dick/moby-dick.sock';

/**
 * Where the service listens by default: DEFAULT_HOST as root; an ordinary
 * user's (ROOTLESS) in the user's run-time directory, as Podman's
 * $XDG_RUNTIME_DIR/podman/podman.sock.
 */
export function defaultHost(rootless = isRootless(), runtimeDir: () => string = userRuntimeDir): string {
  return rootless ? `unix://${join(runtimeDir(), 'moby-dick', 'moby-dick.sock')}` : DEFAULT_HOST;
}

/** Where the service listens: a unix socket, or a TCP address (with TLS and client verification). */
export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** dockerd's port for the API over TLS */
const TLS_PORT = 2376;

export interface ServiceOptions {
  engine: Engine;
  /** unix:///path, or tcp://HOST[:PORT] with tls */
  host: string;
  /** the server's certificate and key, and the CA whose certificates clients must show (required for tcp://) */
  tls?: TlsFiles;
  /** seconds without a connection before the service ends; 0: never */
  timeout: number;
  /** a group name or gid given read and write on the socket */
  group?: string;
  /** the host address of a published port that names none (dockerd's --ip); every address when absent */
  hostIp?: string;
  serverVersion: string;
  /** how to run moby-dick's CLI again (exec instances run `moby-dick exec`) */
  selfCommand: readonly string[];
  /** a line for the service's log (stderr) */
  log: (line: string) => void;
  /** resolves when the socket listens (tests, the command's own line) */
  onListening?: (path: string) => void;
  /** runs `moby-dick build` command lines the launcher forwards (forwarded-build.ts); none served without it */
  forwardedBuild?: ForwardedBuildRunner;
  /**
   * how the service gives memory back (the command's: helper/release-memory.ts):
   * every step once the socket listens, then each step once the service has
   * served and then been idle (no connection) for the step's time
   * (idle-release.ts)
   */
  idleReleases?: readonly IdleRelease[];
  /** an ordinary user's service (default: whether this process runs as one): its socket the user's alone, what needs root refused (rootless-routes.ts) */
  rootless?: boolean;
}

/**
 * Where HOST says to listen: unix:///PATH, or tcp://HOST[:PORT] (port 2376
 * when none, as dockerd's with TLS), which needs TLS (WITH_TLS): without,
 * it is refused with the reason and what to do.
 */
export function listenAddress(host: string, withTls = false): ListenAddress {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) throw new MobyDickError('USAGE', `invalid --host ${host}: the socket path must be absolute`, { subject: host, hint: 'e.g. unix:///run/moby-dick/moby-dick.sock' });
    return { kind: 'unix', path };
  }
  if (host.startsWith('tcp://')) {
    if (!withTls) {
      throw new MobyDickError('USAGE', `refusing to serve the Engine API on ${host}: TCP needs TLS client verification (whoever reaches the API is root on this host)`, {
        subject: host,
        hint: 'give --tlsverify with --tlscacert, --tlscert and --tlskey, or serve on a unix socket (unix:///PATH) and share it with --group',
      });
    }
    const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(host);
    const port = m?.[2] === undefined ? TLS_PORT : Number(m[2]);
    if (!m || port < 1 || port > 65535) throw new MobyDickError('USAGE', `invalid --host ${host}: expected tcp://HOST[:PORT]`, { subject: host, hint: 'e.g. tcp://127.0.0.1:2376' });
    return { kind: 'tcp', host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  }
  throw new MobyDickError('USAGE', `invalid --host ${host}: expected unix:///PATH or tcp://HOST:PORT`, { subject: host });
}

/** The gid of GROUP: a number, or a name of /etc/group. */
export function groupId(group: string, etcGroup: () => string = () => readFileSync('/etc/group', 'utf8')): number {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of etcGroup().split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new MobyDickError('USAGE', `group ${group} does not exist`, { subject: group, hint: 'give a group of /etc/group, or a gid' });
}

/** Whether something listens on the unix socket PATH. */
async function listening(path: string): Promise<boolean> {
  const net = process.getBuiltinModule('node:net');
  return new Promise((resolve) => {
    const s = net.createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Serves until stopped or idle; resolves then, the socket removed. */
export async function runService(o: ServiceOptions): Promise<void> {
  const address = listenAddress(o.host, o.tls !== undefined);
  if (address.kind === 'unix' && o.tls) throw new MobyDickError('USAGE', `--tlsverify is for tcp:// addresses; ${o.host} is a unix socket`, { subject: o.host });
  if (address.kind === 'tcp' && o.group !== undefined) throw new MobyDickError('USAGE', '--group is for a unix socket', { subject: o.group });
  const gid = o.group === undefined ? undefined : groupId(o.group);
  const rootless = o.rootless ?? isRootless();
  if (address.kind === 'unix') await clearSocket(address.path, rootless);
  // rm answers once the container's directory is moved aside; its files go in the background
  const removals = o.engine.removeInBackground();
  const sessions = new Sessions(o.engine);
  const execs = new Execs(o.engine, o.selfCommand, o.engine.store.root);
  // the requests being handled: a stop waits for them (their clients are gone, so a build is canceled)
  const handling = new Set<Promise<void>>();
  let server: ReturnType<typeof createApiServer>;
  try {
    server = createApiServer({
      router: new Router(servedRoutes([...apiRoutes({ engine: o.engine, serverVersion: o.serverVersion, sessions, execs, ...(o.hostIp !== undefined ? { hostIp: o.hostIp } : {}) }), ...forwardedBuildRoutes(o.engine, o.forwardedBuild)], rootless)),
      serverVersion: o.serverVersion,
      ...(o.tls ? { tls: o.tls } : {}),
      onInternalError: (e, method, p) => o.log(`${method} ${p}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      onRequest: (h) => {
        const settled = h.catch(() => undefined);
        handling.add(settled);
        void settled.finally(() => handling.delete(settled));
      },
    });
  } catch (e) {
    // only the TLS context can fail here: a file that is not PEM, a key that is not the certificate's
    sessions.close();
    throw new MobyDickError('USAGE', `cannot use the TLS files: ${(e as Error).message}`, { hint: 'give --tlscacert, --tlscert and --tlskey PEM files (the key of that certificate)' });
  }
  const sockets = new Set<Socket>();
  let idleSince = Date.now();
  const releases = new IdleReleaseSchedule(o.idleReleases ?? [], idleSince);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    releases.busy();
    s.once('close', () => {
      sockets.delete(s);
      if (sockets.size === 0) {
        idleSince = Date.now();
        releases.idle(idleSince);
      }
    });
  });
  const listen = (at: ListenAddress): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      server.once('error', reject);
      if (at.kind === 'unix') server.listen(at.path, done);
      else server.listen(at.port, at.host, done);
    });
  if (address.kind === 'unix') {
    const old = process.umask(0o177);
    try {
      await listen(address);
    } finally {
      process.umask(old);
    }
    // an ordinary user's socket is the user's alone (0600), unless shared with a --group of the user's
    chmodSync(address.path, rootless && gid === undefined ? 0o600 : 0o660);
    if (gid !== undefined) chownSync(address.path, rootless ? process.geteuid!() : 0, gid);
    o.onListening?.(address.path);
  } else {
    await listen(address).catch((e: unknown) => {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new MobyDickError('SETUP', `cannot listen on ${o.host}: ${code}`, { subject: o.host, errnoName: code, hint: 'give a free port and an address of this host' });
    });
    o.onListening?.(`${o.host} (TLS; clients need a certificate of the given CA)`);
  }
  // what only starting touched (most of the node binary's pages) goes now
  for (const step of o.idleReleases ?? []) step.run();
  await new Promise<void>((resolve) => {
    const stop = (why: string): void => {
      clearInterval(idle);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      o.log(`stopping (${why}); containers keep running`);
      sessions.close();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    const idle = setInterval(() => {
      if (o.timeout > 0 && sockets.size === 0 && Date.now() - idleSince >= o.timeout * 1000) return stop(`idle for ${o.timeout}s`);
      releases.tick(Date.now());
    }, Math.min(1000, Math.max(100, o.timeout * 250)));
  });
  if (address.kind === 'unix') rmSync(address.path, { force: true });
  // the engine's store closes after this: what a request still does with it (a build cancelled by its
  // client's going, killing its RUN container) ends first, or is given up after STOP_WAIT_MS
  await Promise.race([Promise.all(handling), new Promise<void>((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
  await removals.settled();
}

/** how long a stop waits for the requests still being handled */
const STOP_WAIT_MS = 10_000;

/** The routes a service serves: an ordinary user's (ROOTLESS) refuse what needs root. */
function servedRoutes(routes: Route[], rootless: boolean): Route[] {
  return rootless ? rootlessRoutes(routes) : routes;
}

/** PATH free for a new socket: a stale socket removed, a live one or another file refused; its directory made (ROOTLESS: the user's alone). */
async function clearSocket(path: string, rootless: boolean): Promise<void> {
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new MobyDickError('USAGE', `${path} exists and is not a socket`, { subject: path });
    if (await listening(path)) throw new MobyDickError('USAGE', `another service listens on ${path}`, { subject: path, hint: 'stop it, or give another --host' });
    rmSync(path, { force: true });
  }
  mkdirSync(dirname(path), { recursive: true, mode: rootless ? 0o700 : 0o755 });
}
