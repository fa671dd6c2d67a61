/**
 * `export`: a container's filesystem as a tar, as Docker writes it — the
 * overlay of its image's layers and its writable layer (not its volumes or
 * binds), names relative to "/" without a leading "./", in name order, with
 * numeric owners, modes, mtimes, hard links, device nodes and file
 * capabilities. Running or not, it is read from a read-only detached overlay
 * (container-fs.ts), so nothing is mounted anywhere.
 */
import type { Writable } from 'node:stream';
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
