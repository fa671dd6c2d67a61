/**
 * `moby-dick system service`: the Engine API on a unix socket until a
 * SIGTERM or SIGINT, or until it has been idle (no connection) for the
 * timeout. The socket is made with mode 0660 (root's, or root and the
 * --group's), never readable by others even for a moment (the umask while
 * it is made). TCP is refused: the API gives root to whoever reaches it,
 * and TLS client verification is not built. Stopping leaves containers
 * running: their monitors own them, and the next service finds them in
 * the store.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { Execs } from './exec.js';
import { apiRoutes } from './routes.js';
import { Router } from './router.js';
import { createApiServer } from './server.js';
import { Sessions } from './sessions.js';

export const DEFAULT_HOST = 'unix:///run/moby-dick/moby-dick.sock';

export interface ServiceOptions {
  engine: Engine;
  /** unix:///path (tcp:// is refused) */
  host: string;
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
}

/** The socket path of HOST; tcp:// and others refused with what to do. */
export function socketPathOf(host: string): string {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) throw new MobyDickError('USAGE', `invalid --host ${host}: the socket path must be absolute`, { subject: host, hint: 'e.g. unix:///run/moby-dick/moby-dick.sock' });
    return path;
  }
  if (host.startsWith('tcp://') || host.startsWith('http://') || host.startsWith('https://')) {
    throw new MobyDickError('USAGE', `refusing to serve the Engine API on ${host}: TCP needs TLS client verification, which moby-dick does not have yet (whoever reaches the API is root on this host)`, {
      subject: host,
      hint: 'serve on a unix socket (unix:///PATH) and share it with --group',
    });
  }
  throw new MobyDickError('USAGE', `invalid --host ${host}: expected unix:///PATH`, { subject: host });
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
  const path = socketPathOf(o.host);
  const gid = o.group === undefined ? undefined : groupId(o.group);
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new MobyDickError('USAGE', `${path} exists and is not a socket`, { subject: path });
    if (await listening(path)) throw new MobyDickError('USAGE', `another service listens on ${path}`, { subject: path, hint: 'stop it, or give another --host' });
    rmSync(path, { force: true });
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const sessions = new Sessions(o.engine);
  const execs = new Execs(o.engine, o.selfCommand, o.engine.store.root);
  const server = createApiServer({
    router: new Router(apiRoutes({ engine: o.engine, serverVersion: o.serverVersion, sessions, execs, ...(o.hostIp !== undefined ? { hostIp: o.hostIp } : {}) })),
    serverVersion: o.serverVersion,
    onInternalError: (e, method, p) => o.log(`${method} ${p}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
  const sockets = new Set<Socket>();
  let idleSince = Date.now();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => {
      sockets.delete(s);
      if (sockets.size === 0) idleSince = Date.now();
    });
  });
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o660);
  if (gid !== undefined) chownSync(path, 0, gid);
  o.onListening?.(path);
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
      if (o.timeout > 0 && sockets.size === 0 && Date.now() - idleSince >= o.timeout * 1000) stop(`idle for ${o.timeout}s`);
    }, Math.min(1000, Math.max(100, o.timeout * 250)));
  });
  rmSync(path, { force: true });
}
