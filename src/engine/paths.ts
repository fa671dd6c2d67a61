/**
 * Where a container's files live. Under the store root (persistent):
 * containers/ID/ holds config.json (the OCI bundle), the writable layer
 * (diff, work, and merged, the overlay's mount point), the json-file log
 * the exit file the monitor writes and the health checks' state. Under the run root (gone at boot, as
 * /run): the OCI runtime's state and the attach sockets, named by the ID's
 * first 12 digits so that the path fits a unix socket's 107 bytes.
 */
import { join } from 'node:path';
import { DEFAULT_STORE_ROOT, storeRoot as defaultStoreRoot } from '../images/store/image-store.js';
import { isRootless, userRuntimeDir } from '../rootless/rootless.js';

export interface ContainerPaths {
  dir: string;
  bundleConfig: string;
  upper: string;
  work: string;
  merged: string;
  log: string;
  exitFile: string;
  /** the health checks' state (health-check.ts) */
  healthFile: string;
  attachSocket: string;
}

/**
 * The run root: MOBY_DICK_RUN_ROOT, /run/moby-dick/engine for the default
 * store (an ordinary user's default store: $XDG_RUNTIME_DIR/moby-dick/engine),
 * else STORE/run.
 */
export function runRoot(storeRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOBY_DICK_RUN_ROOT) return env.MOBY_DICK_RUN_ROOT;
  if (storeRoot === DEFAULT_STORE_ROOT) return '/run/moby-dick/engine';
  if (isRootless() && !env.MOBY_DICK_ROOT && storeRoot === defaultStoreRoot(env)) return join(userRuntimeDir(env), 'moby-dick', 'engine');
  return join(storeRoot, 'run');
}

export function containerPaths(storeRoot: string, run: string, id: string): ContainerPaths {
  const dir = join(storeRoot, 'containers', id);
  return {
    dir,
    bundleConfig: join(dir, 'config.json'),
    upper: join(dir, 'diff'),
    work: join(dir, 'work'),
    merged: join(dir, 'merged'),
    log: join(dir, `${id}-json.log`),
    exitFile: join(dir, 'exit.json'),
    healthFile: join(dir, 'health.json'),
    attachSocket: join(run, 'attach', `${id.slice(0, 12)}.sock`),
  };
}
