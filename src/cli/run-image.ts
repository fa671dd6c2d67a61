/**
 * `moby-dick run [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container from an
 * image, in the foreground. Pulls the image when the store lacks it (as
 * Docker does), gives the container a writable layer of its own on top of
 * the image's layers (an overlay mounted inside the container's mount
 * namespace), applies the image's config (Entrypoint, Cmd, Env, WorkingDir,
 * User by name through the image's /etc/passwd), and registers the
 * container in the store so that its image cannot be removed under it.
 * `--rm` removes the writable layer and the record when the command ends.
 * The hostname is the container ID's first 12 hex digits, as Docker's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { readImageFile } from '../images/image-files.js';
import { findImage } from '../images/lookup.js';
import { pullImage } from '../images/pull.js';
import { imageEnv, runSettings } from '../images/run-settings.js';
import type { ImageStore } from '../images/store/image-store.js';
import { resolveUser } from '../images/user-lookup.js';
import { runInForeground } from './foreground.js';
import { openStore } from './image-context.js';
import { progressView } from './pull-progress.js';
import { mergeEnv, type RunFlags } from './run-options.js';

export interface ImageRunFlags extends RunFlags {
  rm?: boolean;
  entrypoint?: string;
  name?: string;
  'read-only'?: boolean;
}

async function imageFor(store: ImageStore, ref: string): Promise<string> {
  const found = findImage(store, ref);
  if (found) return found.image.id;
  process.stderr.write(`Unable to find image '${ref}' locally\n`);
  const view = await progressView(process.stderr);
  try {
    const pulled = await pullImage(store, ref, { progress: view });
    return pulled.imageId;
  } finally {
    view.stop();
  }
}

/** Docker's container names are adjective_noun; ours say where they come from. */
function generatedName(id: string): string {
  return `mdk_${id.slice(0, 12)}`;
}

export async function runImage(flags: ImageRunFlags, operands: readonly string[]): Promise<number> {
  const [ref, ...command] = operands;
  if (ref === undefined) throw new MobyDickError('USAGE', '"moby-dick run" requires at least 1 argument', { hint: "see 'moby-dick run --help'" });
  const id = randomBytes(32).toString('hex');
  const name = flags.name ?? generatedName(id);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new MobyDickError('USAGE', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { container: name });
  }

  const store = openStore();
  let dir: string;
  let imageId: string;
  let layers: string[];
  let image;
  try {
    imageId = await imageFor(store, ref);
    image = store.imageConfig(imageId).config ?? {};
    layers = store.layerPaths(imageId).reverse(); // topmost first, as overlay's lowerdir
    dir = join(store.root, 'containers', id);
    store.addContainer({ id, name, imageId, config: { image: ref, command } });
  } finally {
    store.close();
  }

  const removeContainer = (): void => {
    rmSync(dir, { recursive: true, force: true });
    const s = openStore();
    try {
      s.removeContainer(id);
    } finally {
      s.close();
    }
  };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // the upper dir is the container's "/": every user must be able to enter it
    mkdirSync(join(dir, 'diff'), { mode: 0o755 });
    for (const d of ['work', 'merged']) mkdirSync(join(dir, d), { mode: 0o700 });
    const settings = runSettings(image, { command, entrypoint: flags.entrypoint, workdir: flags.workdir, user: flags.user }, ref);
    const read = (path: string) => readImageFile(layers, path)?.toString('utf8') ?? null;
    const user = resolveUser(settings.user, read('/etc/passwd'), read('/etc/group'));
    const hostname = flags.hostname ?? id.slice(0, 12);
    const tty = flags.tty === true;
    return await runInForeground(
      {
        command: settings.argv,
        rootfs: join(dir, 'merged'),
        overlay: { lower: layers, upper: join(dir, 'diff'), work: join(dir, 'work') },
        hostname,
        env: mergeEnv(imageEnv(image, hostname, user.home, tty), flags, process.env),
        cwd: settings.cwd,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        readOnly: flags['read-only'],
        tty,
        interactive: flags.interactive === true,
        init: flags.init,
      },
      flags.debug === true,
    );
  } catch (e) {
    // a container that never ran is not kept, whatever --rm says
    if (!flags.rm) removeContainer();
    throw e;
  } finally {
    if (flags.rm) removeContainer();
  }
}
