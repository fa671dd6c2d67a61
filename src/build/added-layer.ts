/**
 * The layer of a step that only adds files (COPY, WORKDIR's directory),
 * written as a tar straight from what it adds: no container, no overlay
 * to extract into, no walk of an upper dir reading every file back. The
 * store unpacks the tar as any layer (commit.ts), and not at all when it
 * has that layer already (a rebuild with --no-cache of the same files).
 *
 * The tar must describe what extracting the same entries into the image's
 * root and taking the overlay's upper dir as the layer gives
 * (container-steps.ts, the way this replaces): each entry is checked
 * against the image's files (LOWER, its layers' root, read-only) on its
 * way to the tar:
 *
 * - a directory of the image above an entry is written first, with the
 *   image's owner, mode and mtime, as overlayfs's copy-up puts it into the
 *   upper dir;
 * - where the two ways could differ, AddedLayerConflict is thrown and the
 *   caller takes the container's way instead: a symlink or a
 *   non-directory above an entry (extraction resolves symlinks inside the
 *   root; a tar would replace them), a directory over a file of the image
 *   or a file over a directory, a directory above an entry that neither
 *   the image nor the step made.
 *
 * Below a directory the image lacks, nothing is looked up.
 */
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { locate, type LocateSyscalls, type Stat } from '../engine/archive-fs.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import type { EntryWriter, TarWriterEntry } from '../images/tar/tar-writer.js';
import { S_IFDIR, S_IFMT } from '../linux/file-modes.js';
import { withTempTar } from './temp-tar.js';

/** the step's entries would not give the same layer as a tar: take the container's way */
export class AddedLayerConflict extends Error {}

/** what a path is: a directory of the image (its contents may clash), or one the image lacks */
type Known = 'image' | 'new';

const isDir = (st: Stat) => (st.mode & S_IFMT) === S_IFDIR;

/** tar names: no leading or trailing '/' */
function clean(name: string | Buffer): string {
  return (typeof name === 'string' ? name : name.toString('utf8')).replace(/^\/+/, '').replace(/\/+$/, '');
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * An EntryWriter over OUT that checks each entry against LOWER (a root fd
 * of the image's files; undefined: the image has none) and writes the
 * image's directories above it first (see above). The entries must come
 * parents first, as a tar's do.
 */
export class AddedLayerWriter implements EntryWriter {
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly out: EntryWriter,
    private readonly lower: number | undefined,
    private readonly sys: LocateSyscalls = nativeAddon(),
  ) {
    this.known.set('', lower === undefined ? 'new' : 'image');
  }

  /** PATH in the image, not followed; undefined when missing */
  private lookup(path: string): Stat | undefined {
    let l: ReturnType<typeof locate>;
    try {
      l = locate(this.lower!, `/${path}`, false, this.sys);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new AddedLayerConflict(`${path}: ${code ?? (e as Error).message}`);
    }
    closeSync(l.dir);
    return l.st;
  }

  /** makes sure directory DIR is in the layer or the image; what it is */
  private async directory(dir: string): Promise<Known> {
    const k = this.known.get(dir);
    if (k) return k;
    const parent = await this.directory(parentOf(dir));
    if (parent === 'new') throw new AddedLayerConflict(`${dir}: made by neither the step nor the image`);
    const st = this.lookup(dir);
    if (!st || !isDir(st)) throw new AddedLayerConflict(`${dir}: ${st ? 'not a directory' : 'missing'} in the image`);
    // the image's directory, as overlayfs copies it up into the layer
    await this.out.addDirectory({ name: dir, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime });
    this.known.set(dir, 'image');
    return 'image';
  }

  /** checks entry NAME (a directory when DIR) before it is written; its clean name */
  private async check(name: string | Buffer, dir: boolean): Promise<string> {
    const path = clean(name);
    if (path === '') throw new AddedLayerConflict('an entry for the root');
    const parent = await this.directory(parentOf(path));
    let known: Known = 'new';
    if (parent === 'image') {
      const st = this.lookup(path);
      if (st && isDir(st) !== dir) throw new AddedLayerConflict(`${path}: a ${dir ? 'directory over a non-directory' : 'non-directory over a directory'} of the image`);
      if (st) known = 'image';
    }
    if (dir) this.known.set(path, known);
    return path;
  }

  async addFile(entry: TarWriterEntry & { size?: number }, data: Buffer | AsyncIterable<Buffer>): Promise<void> {
    await this.out.addFile({ ...entry, name: await this.check(entry.name, false) }, data);
  }

  async addDirectory(entry: TarWriterEntry): Promise<void> {
    await this.out.addDirectory({ ...entry, name: await this.check(entry.name, true) });
  }

  async addSymlink(entry: TarWriterEntry, target: string | Buffer): Promise<void> {
    await this.out.addSymlink({ ...entry, name: await this.check(entry.name, false) }, target);
  }

  async addHardlink(entry: TarWriterEntry, target: string | Buffer): Promise<void> {
    await this.out.addHardlink({ ...entry, name: await this.check(entry.name, false) }, target);
  }

  async addNode(entry: TarWriterEntry, kind: 'char' | 'block' | 'fifo', major?: number, minor?: number): Promise<void> {
    await this.out.addNode({ ...entry, name: await this.check(entry.name, false) }, kind, major, minor);
  }

  finish(): Promise<void> {
    return this.out.finish();
  }
}

/** The addon's calls: the image's layers mounted as one, its paths looked up (the addon by default; a test gives its own). */
export type AddedLayerSyscalls = Pick<NativeAddon, 'mountOverlay'> & LocateSyscalls;

/** LAYERS (topmost first) as one read-only root fd: the layer's own directory, or a detached overlay of them */
function openLower(layers: readonly string[], sys: AddedLayerSyscalls): number {
  if (layers.length === 1) return openSync(layers[0]!, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
  return sys.mountOverlay(
    layers.map((l) => Buffer.from(l)),
    null,
    null,
  );
}

/**
 * The entries PRODUCE writes (names under "/" of the image whose layers
 * are LAYERS, topmost first; ROOT: the image's files, read-only) as a
 * layer tar in a temp dir; FN gets its path and the temp dir goes after
 * it. Throws AddedLayerConflict (before FN) where the container's way must
 * be taken. An image without layers takes the container's way too. SYS
 * mounts two layers or more as one read-only overlay.
 */
export async function withAddedLayer<T>(
  layers: readonly string[],
  produce: (w: EntryWriter, root: number) => Promise<void>,
  fn: (tar: string) => Promise<T>,
  sys: AddedLayerSyscalls = nativeAddon(),
): Promise<T> {
  if (layers.length === 0) throw new AddedLayerConflict('an image without layers');
  const lower = openLower(layers, sys);
  let closed = false;
  const close = () => {
    if (!closed) closeSync(lower);
    closed = true;
  };
  try {
    return await withTempTar(
      async (w) => {
        await produce(new AddedLayerWriter(w, lower, sys), lower);
        close();
      },
      (path) => fn(path),
    );
  } finally {
    close();
  }
}
