/**
 * Files under a root fd as a tar stream and back, for `cp` and `export`:
 * the same code for a container's "/" (container-fs.ts) and the host's.
 *
 * Every path is opened inside the root with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) and every entry with a *at call on a single name
 * that is never followed (the addon's view.c and layer.c): a symlink, wherever
 * it points, is read as a symlink, and a path through one stays inside the
 * root. Extraction is unpack-layer.ts's extractArchive, with `.wh.` names
 * as plain names.
 *
 * What goes in a tar, as Docker writes it: directories, regular files (a
 * second name of a file already written as a hard link), symlinks, device
 * nodes and FIFOs, with numeric owners, modes, mtimes in whole seconds and
 * the security.capability attribute; sockets are left out.
 */
import { closeSync, readSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import type { TarHeader } from '../images/tar-reader.js';
import type { TarWriter, TarWriterEntry } from '../images/tar-writer.js';
import { extractArchive } from '../images/unpack-layer.js';
import { cleanComponents } from '../images/unpack-layer.js';
import { nativeAddon } from '../runtime/native-addon.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const EMPTY = Buffer.alloc(0);
const MAX_LINKS = 40;

export interface Stat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  dev: number;
  rdevMajor: number;
  rdevMinor: number;
  mtime: number;
}

export const isDir = (st: Stat) => (st.mode & S_IFMT) === S_IFDIR;

function statOf(a: number[]): Stat {
  return { mode: a[0]!, uid: a[1]!, gid: a[2]!, size: a[3]!, nlink: a[4]!, ino: a[5]!, dev: a[6]!, rdevMajor: a[7]!, rdevMinor: a[8]!, mtime: a[11]! };
}

/** NAME in DIR (empty: DIR itself), not followed; undefined if missing */
export function lstatIn(dir: number, name: Buffer): Stat | undefined {
  const a = nativeAddon().lstatAt(dir, name);
  return a ? statOf(a) : undefined;
}

/** A path inside a root: the fd of its directory (owned) and its last name (empty: the directory itself). */
export interface Located {
  dir: number;
  name: Buffer;
  st: Stat | undefined;
  /** the path as resolved (symlinks followed when asked), for messages */
  path: string;
}

function splitPath(path: string): { parent: string; base: string } {
  const comps = path.split('/').filter((c) => c !== '');
  const last = comps[comps.length - 1];
  if (last === undefined || last === '.' || last === '..') return { parent: path === '' ? '/' : path, base: '' };
  return { parent: `/${comps.slice(0, -1).join('/')}`, base: last };
}

/**
 * PATH inside ROOT: its parent opened in the root (symlinks there resolved
 * inside it), the last name not followed unless FOLLOW, when its target is
 * resolved again inside the root. Throws what openat2 throws (ENOENT, ENOTDIR).
 */
export function locate(root: number, path: string, follow: boolean): Located {
  const sys = nativeAddon();
  let current = path;
  for (let hops = 0; ; hops++) {
    const { parent, base } = splitPath(current);
    const dir = sys.openInRoot(root, Buffer.from(parent));
    const name = Buffer.from(base);
    let st: Stat | undefined;
    try {
      st = lstatIn(dir, name);
    } catch (e) {
      closeSync(dir);
      throw e;
    }
    if (!follow || !st || (st.mode & S_IFMT) !== S_IFLNK) return { dir, name, st, path: current };
    const target = sys.readlinkAt(dir, name).toString();
    closeSync(dir);
    if (hops >= MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: 'ELOOP' });
    current = target.startsWith('/') ? target : `${parent}/${target}`;
  }
}

export interface TreeOptions {
  /** owner written for every entry instead of the file's */
  owner?: { uid: number; gid: number };
}

/** the file's bytes, exactly SIZE of them (zeros if it shrank meanwhile, cut if it grew) */
async function* fileData(fd: number, size: number): AsyncGenerator<Buffer> {
  let left = size;
  while (left > 0) {
    const buf = Buffer.allocUnsafe(Math.min(left, 256 * 1024));
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) {
      yield Buffer.alloc(left);
      return;
    }
    left -= n;
    yield buf.subarray(0, n);
  }
}

/**
 * Writes NAME in DIR (empty: DIR itself) to the tar as TARNAME, and what is
 * under it when it is a directory. TARNAME '' writes only a directory's
 * contents, named from its top (`cp DIR/.`, `export`).
 */
export async function writeTree(w: TarWriter, dir: number, name: Buffer, tarName: Buffer, opts: TreeOptions = {}): Promise<void> {
  const links = new Map<string, Buffer>();
  await writeEntry(w, dir, name, tarName, opts, links);
}

async function writeEntry(w: TarWriter, dir: number, name: Buffer, tarName: Buffer, opts: TreeOptions, links: Map<string, Buffer>): Promise<void> {
  const sys = nativeAddon();
  const st = lstatIn(dir, name);
  if (!st) return; // removed meanwhile
  const entry: TarWriterEntry = {
    name: tarName,
    mode: st.mode & 0o7777,
    uid: opts.owner?.uid ?? st.uid,
    gid: opts.owner?.gid ?? st.gid,
    mtime: st.mtime,
  };
  const type = st.mode & S_IFMT;
  if (type === S_IFDIR) {
    if (tarName.length) await w.addDirectory(entry);
    const fd = name.length ? sys.openDirAt(dir, name) : sys.openInRoot(dir, EMPTY);
    try {
      const names = sys.readDirAt(fd).sort(Buffer.compare);
      const prefix = tarName.length ? Buffer.concat([tarName, Buffer.from('/')]) : EMPTY;
      for (const child of names) await writeEntry(w, fd, child, Buffer.concat([prefix, child]), opts, links);
    } finally {
      closeSync(fd);
    }
    return;
  }
  if (type !== S_IFLNK && st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) return w.addHardlink(entry, first);
    links.set(key, tarName);
  }
  switch (type) {
    case S_IFREG: {
      let cap: Buffer | undefined;
      try {
        cap = sys.getXattrAt(dir, name, 'security.capability');
      } catch {
        // a filesystem without xattrs
      }
      const fd = sys.openFileAt(dir, name);
      try {
        await w.addFile({ ...entry, size: st.size, ...(cap ? { xattrs: new Map([['security.capability', cap]]) } : {}) }, fileData(fd, st.size));
      } finally {
        closeSync(fd);
      }
      return;
    }
    case S_IFLNK:
      return w.addSymlink(entry, sys.readlinkAt(dir, name));
    case S_IFCHR:
      return w.addNode(entry, 'char', st.rdevMajor, st.rdevMinor);
    case S_IFBLK:
      return w.addNode(entry, 'block', st.rdevMajor, st.rdevMinor);
    case S_IFIFO:
      return w.addNode(entry, 'fifo');
    default:
      return; // a socket: Docker leaves them out too
  }
}

export interface ExtractOptions {
  /** the directory inside the root that the archive's names are relative to */
  into: string;
  /** owner given to every entry instead of the archive's */
  owner?: { uid: number; gid: number };
  /** names errors: "copying into CONTAINER:PATH" */
  label: string;
}

/**
 * Extracts the tar INPUT under OPTS.into inside ROOT (an fd the call does not
 * close). Names are cleaned as if below "/" and put under `into`, so ".."
 * cannot climb out of it lexically; symlinks met on the way are resolved
 * inside the root. The archive's top directory entry ("./") is not applied:
 * `into` keeps its own owner and mode.
 */
export async function extractTree(input: AsyncIterable<Buffer>, root: number, opts: ExtractOptions): Promise<void> {
  const base = cleanComponents(Buffer.from(opts.into).toString('latin1'));
  const under = (raw: Buffer): Buffer | undefined => {
    const comps = cleanComponents(raw.toString('latin1'));
    if (comps.length === 0) return undefined;
    return Buffer.from([...base, ...comps].join('/'), 'latin1');
  };
  const fd = nativeAddon().openInRoot(root, EMPTY);
  await extractArchive(input, fd, opts.label, (h: TarHeader) => {
    const nameBytes = under(h.nameBytes);
    if (!nameBytes) return undefined;
    const rewritten: TarHeader = {
      ...h,
      name: nameBytes.toString('utf8'),
      nameBytes,
      ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : {}),
    };
    if (h.type !== 'hardlink') return rewritten;
    const link = under(h.linknameBytes);
    if (!link) throw new MobyDickError('ARCHIVE', `${opts.label}: hard link ${JSON.stringify(h.name)} to the top of the archive`, { subject: h.name });
    return { ...rewritten, linkname: link.toString('utf8'), linknameBytes: link };
  });
}
