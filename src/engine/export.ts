/**
 * `export`: a container's filesystem as a tar, as Docker writes it — the
 * overlay of its image's layers and its writable layer (not its volumes or
 * binds), names relative to "/" without a leading "./", in name order, with
 * numeric owners, modes, mtimes, hard links, device nodes and file
 * capabilities. Running or not, it is read from a read-only detached overlay
 * (container-fs.ts), so nothing is mounted anywhere.
 *
 * As an ordinary user (rootless) the overlay is mounted and read by a
 * process that is root of the user's user namespace (the hidden
 * `rootless-export`, run by the caller), which writes the tar to this
 * process: the user alone may neither mount it nor read every file of the
 * subordinate ids, and only there do those files show the image's owners.
 */
import { closeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { nativeAddon, type NativeAddon } from '../helper/native-addon.js';
import { TarWriter } from '../images/tar/tar-writer.js';
import { writeTree } from './archive-fs.js';
import { withContainerRoot } from './container-fs.js';
import type { Engine } from './engine.js';

export async function exportContainer(engine: Engine, ref: string, out: Writable): Promise<void> {
  await withContainerRoot(engine, ref, 'export', async (root) => {
    const w = new TarWriter(out);
    await writeTree(w, root.fd, Buffer.alloc(0), Buffer.alloc(0), { label: `exporting ${ref}` }, root.fd);
    await w.finish();
  });
}

/** The tar of the read-only overlay of LOWER (topmost first) to OUT; USERXATTR for a rootless store's layers. */
export async function writeOverlayTar(
  lower: readonly string[],
  out: Writable,
  userxattr: boolean,
  label: string,
  sys: Pick<NativeAddon, 'mountOverlay'> = nativeAddon(),
): Promise<void> {
  let fd: number;
  try {
    fd = sys.mountOverlay(lower.map((l) => Buffer.from(l)), null, null, false, userxattr);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new MobyDickError('SETUP', `cannot mount the layers to export: ${err.message}`, { step: 'mount overlay', errnoName: err.code });
  }
  try {
    const w = new TarWriter(out);
    await writeTree(w, fd, Buffer.alloc(0), Buffer.alloc(0), { label }, fd);
    await w.finish();
  } finally {
    closeSync(fd);
  }
}

/**
 * `export` of an ordinary user's container: the tar written by RUN_EXPORT,
 * which runs `rootless-export DIRS...` in the user namespace with its
 * stdout to the caller's OUT (the CLI's: jail/userns-run.ts).
 */
export async function exportRootlessContainer(
  engine: Engine,
  ref: string,
  runExport: (dirs: readonly string[]) => Promise<{ code: number; stderr: string }>,
): Promise<void> {
  const v = engine.view(engine.containers.find(ref));
  const r = await runExport([v.paths.upper, ...v.record.layers]);
  if (r.code !== 0) {
    const lines = r.stderr.trim().split('\n').filter(Boolean);
    throw new MobyDickError('ARCHIVE', `exporting ${ref}: ${(lines[lines.length - 1] ?? `exit ${r.code}`).replace(/^moby-dick: /, '')}`, {
      container: ref,
      step: 'export (rootless)',
    });
  }
}
