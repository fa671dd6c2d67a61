/**
 * A private image store and Docker config for an image test: the CLI is run
 * with MOBY_DICK_ROOT and DOCKER_CONFIG pointing into a temp dir, and the
 * test can look at what the store holds on disk and in its database.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { layerUnpacker } from '../../src/images/unpack/layer-unpacker.js';
import { ImageStore } from '../../src/images/store/image-store.js';
import { CLI, type CliOptions, type CliResult, mdk } from './cli.js';
import { TEST_PREFIX } from './rootfs.js';

export interface ImageEnv {
  root: string;
  /** the store's network names: interfaces start with it, and it names the nftables table */
  netPrefix: string;
  dockerConfig: string;
  env: NodeJS.ProcessEnv;
  mdk(args: readonly string[], opts?: CliOptions): Promise<CliResult>;
  /** what the store holds: blob digests (hex), layer dirs, temp leftovers, image IDs */
  contents(): { blobs: string[]; layers: string[]; ingest: string[]; layerTmp: string[]; images: string[] };
  remove(): void;
}

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** The engine's parent cgroup in the tests (the engine's own default is moby-dick). */
export const ENGINE_CGROUP_PARENT = `${TEST_PREFIX}engine-${process.pid}`;

let envCount = 0;

/**
 * Envs not removed yet: a test that failed before its env.remove() leaves
 * its store, so at the process's exit whatever is still here is removed
 * (its containers with rm -f, its networks, its files).
 */
const unremoved = new Map<string, () => void>();
process.on('exit', () => {
  for (const cleanup of unremoved.values()) cleanup();
});

/** What a test's networks left on the host: interfaces named with PREFIX, and its nftables table. */
export function networkLeftovers(prefix: string): string[] {
  const links = readdirSync('/sys/class/net').filter((n) => n.startsWith(prefix));
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim() === `table ip ${prefix}`);
  // a table of another name naming the test's interfaces: a process that lost the store's prefix made it
  const elsewhere = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).stdout.includes(`"${prefix}`) ? ['rules naming its interfaces'] : [];
  return [...links, ...tables, ...elsewhere];
}

/**
 * Where a store lives and which cgroup parent it uses. The default is a
 * test's own (named with TEST_PREFIX); busy-machine.test.ts makes a
 * neighbour's under other names, which the leak checks must not count.
 */
export interface ImageEnvPlace {
  dirPrefix: string;
  cgroupParent: string;
}

export function makeImageEnv(
  place: ImageEnvPlace = { dirPrefix: `${TEST_PREFIX}images-`, cgroupParent: ENGINE_CGROUP_PARENT },
): ImageEnv {
  const base = mkdtempSync(join('/tmp', place.dirPrefix));
  // interface names have 15 characters: mdkt, the pid, and which env of this process
  const netPrefix = `mdkt${(process.pid % 46656).toString(36)}${(envCount++ % 36).toString(36)}`;
  const root = join(base, 'store');
  const dockerConfig = join(base, 'docker');
  // the engine's parent cgroup too: a test's containers never share the host's /moby-dick
  const env = {
    ...process.env,
    MOBY_DICK_ROOT: root,
    DOCKER_CONFIG: dockerConfig,
    MOBY_DICK_CONFIG: join(base, 'config.json'),
    MOBY_DICK_CGROUP_PARENT: place.cgroupParent,
    MOBY_DICK_NET_PREFIX: netPrefix,
  };
  unremoved.set(base, () => {
    if (existsSync(join(root, 'images.db'))) {
      const ids = spawnSync(CLI, ['ps', '-aq', '--no-trunc'], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (ids.length) spawnSync(CLI, ['rm', '-f', '-v', ...ids], { env });
      spawnSync(CLI, ['network', 'prune', '-f'], { env });
    }
    rmSync(base, { recursive: true, force: true });
  });
  return {
    root,
    netPrefix,
    dockerConfig,
    env,
    mdk: (args, opts = {}) => mdk(args, { timeoutMs: 60_000, ...opts, env: { ...env, ...opts.env } }),
    contents() {
      let images: string[] = [];
      if (existsSync(join(root, 'images.db'))) {
        const store = new ImageStore({ root, unpacker: layerUnpacker });
        try {
          images = store.listImages().map((i) => i.id);
        } finally {
          store.close();
        }
      }
      return {
        blobs: list(join(root, 'blobs', 'sha256')),
        layers: list(join(root, 'layers')).filter((n) => n !== 'tmp'),
        ingest: list(join(root, 'ingest')),
        layerTmp: list(join(root, 'layers', 'tmp')),
        images,
      };
    },
    /** the store's files; its networks' bridges and nftables table first (what is left then is a leak: it throws) */
    remove() {
      unremoved.delete(base);
      if (existsSync(join(root, 'images.db'))) spawnSync(CLI, ['network', 'prune', '-f'], { env, encoding: 'utf8' });
      const left = networkLeftovers(netPrefix);
      rmSync(base, { recursive: true, force: true });
      if (left.length) throw new Error(`left on the host by the test's networks: ${left.join(', ')}`);
    },
  };
}

/** One line on stderr, no stack trace. */
export function oneLine(stderr: string): boolean {
  return stderr.split('\n').length === 2 && !/^\s+at /m.test(stderr);
}
