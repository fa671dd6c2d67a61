/**
 * The work a build step does in a container, through the Engine's public
 * methods: a RUN's command in a container made from the step's parent
 * image (the Engine's defaults: its capabilities, seccomp profile, /dev,
 * networks), files put into a container's root (COPY, ADD, WORKDIR's
 * directory) through its overlay, and the container's changes as a layer
 * tar (layer-diff.ts). Every container is removed when the step ends,
 * whether it worked or not.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { attach } from '../engine/attach.js';
import { extractTreeEntries } from '../engine/archive-fs.js';
import { withContainerRoot } from '../engine/container-fs.js';
import { plainCreateRequest } from '../engine/create-request.js';
import type { CreateRequest, Engine } from '../engine/engine.js';
import { imageHasPath } from '../images/image-files.js';
import type { EntryWriter } from '../images/tar/tar-writer.js';
import type { DeferredRemoval } from './deferred-removal.js';
import { writeLayerDiff } from './layer-diff.js';
import { withTempTar } from './temp-tar.js';

/** what every build container shares: nothing published, nothing kept */
function request(image: string, argv: readonly string[], over: Partial<CreateRequest>): CreateRequest {
  return {
    ...plainCreateRequest(image, argv),
    entrypoint: '',
    name: `moby-dick-build-${randomBytes(6).toString('hex')}`,
    network: 'none',
    // removed when the step ends: its files need never reach the disk (a synced upper dir of
    // thousands of files takes seconds to delete on an ext4 mounted with discard)
    volatileUpper: true,
    ...over,
  };
}

/**
 * A container made from IMAGE for FN, removed after it whatever happens;
 * with REMOVAL, its overlay dirs (all that may hold many files) are
 * deleted in the background once it is not running.
 */
export async function withBuildContainer<T>(
  engine: Engine,
  image: string,
  argv: readonly string[],
  over: Partial<CreateRequest>,
  fn: (id: string) => Promise<T>,
  removal?: DeferredRemoval,
): Promise<T> {
  const record = await engine.create(request(image, argv, over));
  try {
    return await fn(record.id);
  } finally {
    if (removal) {
      let running = true;
      try {
        running = engine.view(engine.containers.find(record.id)).state.Running;
      } catch {
        // gone already: remove below says what it says
      }
      const p = engine.paths(record.id);
      if (!running) removal.remove([p.upper, p.work, p.merged]);
    }
    engine.remove(record.id, true, true);
  }
}

export interface RunOutput {
  write(chunk: Buffer): void;
}

/** Starts container ID attached, its stdout and stderr to OUT; its exit code once it ended and the engine handled its exit. */
export async function runAttached(engine: Engine, id: string, out: RunOutput): Promise<number> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.write(chunk);
      done();
    },
  });
  let a: ReturnType<typeof attach> | undefined;
  await engine.start(id, async (v) => {
    a = attach(v.paths.attachSocket, { stdin: null, stdout: sink, stderr: sink, tty: false, detachKeys: null, handlesExit: true });
    await a.connected;
  });
  try {
    const end = await a!.done;
    const code = end.kind === 'exited' ? (end.exit?.exitCode ?? 255) : 255;
    await engine.exited(id);
    await a!.exitHandled();
    return code;
  } finally {
    a!.close();
  }
}

/** what writes copyIntoRoot's entries */
export type TarFill = (w: EntryWriter, root: number) => Promise<void>;

/**
 * The entries FILL writes, extracted at "/" of container ID's root (its
 * overlay, the container stopped) as a tar's would be, handed to the
 * unpacker directly (no tar made and parsed in between).
 */
export async function copyIntoRoot(engine: Engine, id: string, label: string, fill: TarFill): Promise<void> {
  await withContainerRoot(engine, id, 'write', async (root) => {
    await extractTreeEntries((w) => fill(w, root.fd), root.fd, { into: '/', label });
  });
}

/**
 * Container ID's changes as a layer tar in a temp file (temp-tar.ts); FN
 * gets its path and the file goes after it. LAYERS: the image's, topmost first (which
 * mount points it has).
 *
 * OPTS.adoptable: the container has ended and is removed after FN (a
 * step's): its upper dir's times are set as the tar has them and, when it
 * holds exactly what the tar says (no xattr the tar lacks, nothing left
 * out), FN gets the upper dir too, for the store to take as the layer.
 * OPTS.removal: the container ran (RUN): the runtime's mount points it
 * left in the upper dir are moved aside there (layer-diff.ts's setAside).
 */
export async function withLayerTar<T>(
  engine: Engine,
  id: string,
  layers: readonly string[],
  fn: (tar: string, layerDir?: string) => Promise<T>,
  opts: { adoptable?: boolean; removal?: DeferredRemoval } = {},
): Promise<T> {
  const upper = engine.paths(id).upper;
  const removal = opts.removal;
  const setAside = removal ? (dir: number, name: Buffer) => removal.remove([`/proc/self/fd/${dir}/${name.toString('utf8')}`]) : undefined;
  return withTempTar(
    (w) => writeLayerDiff(w, upper, (rel, empty) => empty && !imageHasPath(layers, rel), { normalizeTimes: opts.adoptable === true, ...(setAside ? { setAside } : {}) }),
    (path, diff) => (diff.exact ? fn(path, upper) : fn(path)),
  );
}
