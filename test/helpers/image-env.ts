/**
 * A private image store and Docker config for an image test: the CLI is run
 * with MOBY_DICK_ROOT and DOCKER_CONFIG pointing into a temp dir, and the
 * test can look at what the store holds on disk and in its database.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { layerUnpacker } from '../../src/images/layer-unpacker.js';
import { ImageStore } from '../../src/images/store/image-store.js';
import { type CliOptions, type CliResult, mdk } from './cli.js';
import { TEST_PREFIX } from './rootfs.js';

export interface ImageEnv {
  root: string;
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

export function makeImageEnv(): ImageEnv {
  const base = mkdtempSync(join('/tmp', `${TEST_PREFIX}images-`));
  const root = join(base, 'store');
  const dockerConfig = join(base, 'docker');
  // the engine's parent cgroup too: a test's containers never share the host's /moby-dick
  const env = {
    ...process.env,
    MOBY_DICK_ROOT: root,
    DOCKER_CONFIG: dockerConfig,
    MOBY_DICK_CONFIG: join(base, 'config.json'),
    MOBY_DICK_CGROUP_PARENT: ENGINE_CGROUP_PARENT,
  };
  return {
    root,
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
    remove() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** One line on stderr, no stack trace. */
export function oneLine(stderr: string): boolean {
  return stderr.split('\n').length === 2 && !/^\s+at /m.test(stderr);
}
