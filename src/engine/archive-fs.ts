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
import { closeSync, fstatSync, readSync, statfsSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import type { TarHeader } from '../images/tar/tar-reader.js';
import type { EntryWriter, TarWriter, TarWriterEntry } from '../images/tar/tar-writer.js';
import { extractArchive, extractEntries } from '../images/unpack/unpack-layer.js';
import { cleanComponents } from '../images/unpack/unpack-layer.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../linux/file-modes.js';

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

/** The addon's *at calls this module makes (the addon by default; a test gives its own). */
export type ArchiveSyscalls = Pick<NativeAddon, 'lstatAt' | 'openInRoot' | 'readlinkAt' | 'openDirAt' | 'readDirAt' | 'openFileAt' | 'getXattrAt'>;

/** The calls locate() makes. */
export type LocateSyscalls = Pick<ArchiveSyscalls, 'openInRoot' | 'lstatAt' | 'readlinkAt'>;

/** NAME in DIR (empty: DIR itself), not followed; undefined if missing */
export function lstatIn(dir: number, name: Buffer, sys: Pick<ArchiveSyscalls, 'lstatAt'> = nativeAddon()): Stat | undefined {
  const a = sys.lstatAt(dir, name);
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
export function locate(root: number, path: string, follow: boolean, sys: LocateSyscalls = nativeAddon()): Located {
  let current = path;
  for (let hops = 0; ; hops++) {
    const { parent, base } = splitPath(current);
    const dir = sys.openInRoot(root, Buffer.from(parent));
    const name = Buffer.from(base);
    let st: Stat | undefined;
    try {
      st = lstatIn(dir, name, sys);
    } catch (e) {
      closeSync(dir);
      throw e;
    }
    if (!follow || !st || (st.mode & S_IFMT) !== S_IFLNK) return { dir, name, st, path: current };
    let target: string;
    try {
      target = sys.readlinkAt(dir, name).toString();
    } catch (e) {
      closeSync(dir);
      // no longer a symlink (swapped meanwhile): looked at again
      if ((e as NodeJS.ErrnoException).code === 'EINVAL' && hops < MAX_LINKS) continue;
      throw e;
    }
    closeSync(dir);
    if (hops >= MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: 'ELOOP' });
    current = target.startsWith('/') ? target : `${parent}/${target}`;
  }
}

export interface TreeOptions {
  /** owner written for every entry instead of the file's */
  owner?: { uid: number; gid: number };
  /** names errors: "copying from CONTAINER:PATH" */
  label?: string;
}

/**
 * Filesystems whose files are the kernel's, not the container's (f_type of
 * statfs): their mount points are written as empty directories, as
 * `docker cp` (which reads the container's rootfs and volumes) has them.
 */
const PSEUDO_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x19800202, 'mqueue'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x65735543, 'fusectl'],
  [0x62656570, 'configfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0xf97cff8c, 'selinuxfs'],
  [0xde5e81e4, 'efivarfs'],
  [0x6e736673, 'nsfs'],
]);
/** tmpfs (and devtmpfs, which reports the same type): skipped only when mounted on the root's /dev */
const TMPFS_MAGIC = 0x01021994;

/** the filesystem type of the directory FD (fstatfs, through this process's /proc/self/fd: the container-fs.ts checked /proc) */
function fsType(fd: number): number {
  return Number(statfsSync(`/proc/self/fd/${fd}`).type);
}

/**
 * Whether the directory FD (NAME in PARENT, PARENT_ST its parent's stat)
 * is a pseudo filesystem's: one of PSEUDO_FS, or a tmpfs mounted on "dev"
 * of the walk's ROOT (a container's /dev: its nodes are the runtime's, not
 * the container's files). Only a mount point (another st_dev than its
 * parent's) or the walk's first directory is looked at: what is under a
 * skipped one is never reached.
 */
function pseudo(fd: number, st: Stat, parentSt: Stat | undefined, name: Buffer, root: Stat | undefined): boolean {
  if (parentSt && parentSt.dev === st.dev) return false;
  const type = fsType(fd);
  if (PSEUDO_FS.has(type)) return true;
  return type === TMPFS_MAGIC && root !== undefined && parentSt !== undefined && parentSt.dev === root.dev && parentSt.ino === root.ino && name.toString() === 'dev';
}

/**
 * Whether the directory DIR of a root ROOT_FD is inside a pseudo filesystem
 * (or is the tmpfs on the root's /dev): a path there is not the
 * container's file, as `docker cp` does not find it either.
 */
export function inPseudoFs(rootFd: number, dir: number, sys: ArchiveSyscalls = nativeAddon()): boolean {
  const type = fsType(dir);
  if (PSEUDO_FS.has(type)) return true;
  if (type !== TMPFS_MAGIC) return false;
  const dev = lstatIn(rootFd, Buffer.from('dev'), sys);
  const root = lstatIn(rootFd, EMPTY, sys);
  const here = lstatIn(dir, EMPTY, sys);
  return dev !== undefined && root !== undefined && here !== undefined && dev.dev === here.dev && dev.dev !== root.dev;
}

/** the file's bytes, exactly SIZE of them (zeros if it shrank meanwhile, cut if it grew), read CHUNK at a time */
export async function* fileData(fd: number, size: number, chunk = 256 * 1024): AsyncGenerator<Buffer> {
  let left = size;
  while (left > 0) {
    const buf = Buffer.allocUnsafe(Math.min(left, chunk));
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) {
      yield Buffer.alloc(left);
      return;
    }
    left -= n;
    yield buf.subarray(0, n);
  }
}

/** errnos of an entry that changed between its lstat and its open or readlink (a directory swapped for a symlink, ...) */
const CHANGED = new Set(['ENOTDIR', 'ELOOP', 'EINVAL', 'ENXIO', 'EISDIR']);
/** how often an entry that keeps changing under the walk is looked at again before the copy fails */
const RETRIES = 5;

interface Walk {
  sys: ArchiveSyscalls;
  opts: TreeOptions;
  links: Map<string, Buffer>;
  /** the stat of the walk's root (where "dev" is the container's /dev), if it starts there */
  root: Stat | undefined;
}

/**
 * Writes NAME in DIR (empty: DIR itself) to the tar as TARNAME, and what is
 * under it when it is a directory. TARNAME '' writes only a directory's
 * contents, named from its top (`cp DIR/.`, `export`). ROOT_FD, the root
 * DIR is under, tells where its /dev is.
 *
 * An entry is opened (not followed) before its header is written, and
 * checked to be what its lstat said: one that changes meanwhile (a
 * directory swapped for a symlink by the container) is looked at again, a
 * few times, then fails the copy with a message naming it; one that is
 * gone is left out.
 */
export async function writeTree(w: TarWriter, dir: number, name: Buffer, tarName: Buffer, opts: TreeOptions = {}, rootFd?: number, sys: ArchiveSyscalls = nativeAddon()): Promise<void> {
  const walk: Walk = { sys, opts, links: new Map(), root: rootFd === undefined ? undefined : lstatIn(rootFd, EMPTY, sys) };
  await writeEntry(w, walk, dir, lstatIn(dir, EMPTY, sys), name, tarName);
}

/** an entry that is not what its lstat said any more: looked at again */
class Changed extends Error {
  constructor(readonly errnoName: string) {
    super(`changed: ${errnoName}`);
  }
}

/** Thrown by fs() for an entry that is gone: it is left out. */
class Gone extends Error {}

/**
 * OP, a syscall on the entry SHOWN, before anything of it is written: an
 * entry gone meanwhile is Gone, one changed meanwhile is Changed, any other
 * errno a one-line error naming it.
 */
function fs<T>(walk: Walk, shown: string, what: string, op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (e instanceof MobyDickError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Gone();
    if (code !== undefined && CHANGED.has(code)) throw new Changed(code);
    throw new MobyDickError('ARCHIVE', `${walk.opts.label ? `${walk.opts.label}: ` : ''}${what} ${shown}: ${(e as Error).message}`, {
      subject: shown,
      ...(code ? { errnoName: code } : {}),
    });
  }
}

async function writeEntry(w: TarWriter, walk: Walk, dir: number, dirSt: Stat | undefined, name: Buffer, tarName: Buffer): Promise<void> {
  const shown = tarName.length ? tarName.toString() : name.length ? name.toString() : '.';
  for (let attempt = 0; ; attempt++) {
    try {
      await writeEntryOnce(w, walk, dir, dirSt, name, tarName, shown);
      return;
    } catch (e) {
      if (e instanceof Gone) return; // removed meanwhile
      if (!(e instanceof Changed)) throw e;
      if (attempt < RETRIES) continue;
      throw new MobyDickError('ARCHIVE', `${walk.opts.label ? `${walk.opts.label}: ` : ''}${shown} kept changing while it was read (${e.errnoName})`, {
        subject: shown,
        errnoName: e.errnoName,
        hint: 'copy it again once the container leaves it alone, or stop the container first',
      });
    }
  }
}

/** One try at writing the entry; Changed and Gone come before anything of it is written. */
async function writeEntryOnce(w: TarWriter, walk: Walk, dir: number, dirSt: Stat | undefined, name: Buffer, tarName: Buffer, shown: string): Promise<void> {
  const { sys, opts, links } = walk;
  const st = fs(walk, shown, 'reading', () => lstatIn(dir, name, sys));
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
    const fd = fs(walk, shown, 'opening', () => (name.length ? sys.openDirAt(dir, name) : sys.openInRoot(dir, EMPTY)));
    try {
      const opened = fs(walk, shown, 'reading', () => lstatIn(fd, EMPTY, sys));
      if (!opened || opened.ino !== st.ino || opened.dev !== st.dev) throw new Changed('ENOTDIR');
      // a mount of the kernel's (proc, sysfs, the container's /dev, ...): an empty directory, as in docker cp
      const skip = fs(walk, shown, 'reading', () => pseudo(fd, opened, name.length ? dirSt : undefined, name, walk.root));
      const names = skip ? [] : fs(walk, shown, 'reading', () => sys.readDirAt(fd)).sort(Buffer.compare);
      if (tarName.length) await w.addDirectory(entry);
      const prefix = tarName.length ? Buffer.concat([tarName, Buffer.from('/')]) : EMPTY;
      for (const child of names) await writeEntry(w, walk, fd, opened, child, Buffer.concat([prefix, child]));
    } finally {
      closeSync(fd);
    }
    return;
  }
  if (type === S_IFREG) {
    const fd = fs(walk, shown, 'opening', () => sys.openFileAt(dir, name));
    try {
      const opened = fstatSync(fd);
      if (opened.ino !== st.ino || (opened.mode & S_IFMT) !== S_IFREG) throw new Changed('EINVAL');
      let cap: Buffer | undefined;
      try {
        cap = sys.getXattrAt(dir, name, 'security.capability');
      } catch {
        // a filesystem without xattrs, or the name changed meanwhile (the data is the opened file's)
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) return await w.addHardlink(entry, first);
        links.set(key, tarName);
      }
      await w.addFile({ ...entry, size: st.size, ...(cap ? { xattrs: new Map([['security.capability', cap]]) } : {}) }, fileData(fd, st.size));
    } finally {
      closeSync(fd);
    }
    return;
  }
  if (type === S_IFLNK) return w.addSymlink(entry, fs(walk, shown, 'reading the link', () => sys.readlinkAt(dir, name)));
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) return w.addHardlink(entry, first);
    links.set(key, tarName);
  }
  switch (type) {
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
  /** the archive's top name FROM extracted as TO (a tar named by one side, its destination's name known to the other: rootless cp) */
  rename?: { from: string; to: string };
}

/**
 * Extracts the tar INPUT under OPTS.into inside ROOT (an fd the call does not
 * close). Names are cleaned as if below "/" and put under `into`, so ".."
 * cannot climb out of it lexically; symlinks met on the way are resolved
 * inside the root. The archive's top directory entry ("./") is not applied:
 * `into` keeps its own owner and mode.
 */
export async function extractTree(input: AsyncIterable<Buffer>, root: number, opts: ExtractOptions, sys: Pick<ArchiveSyscalls, 'openInRoot'> = nativeAddon()): Promise<void> {
  const fd = sys.openInRoot(root, EMPTY);
  await extractArchive(input, fd, opts.label, intoRewrite(opts));
}

/** As extractTree, the entries written by PRODUCE straight to the unpacker (no tar in between: unpack-layer.ts's extractEntries). */
export async function extractTreeEntries(produce: (w: EntryWriter) => Promise<void>, root: number, opts: ExtractOptions, sys: Pick<ArchiveSyscalls, 'openInRoot'> = nativeAddon()): Promise<void> {
  const fd = sys.openInRoot(root, EMPTY);
  await extractEntries(fd, opts.label, intoRewrite(opts), produce);
}

/** an entry's header as extracted under OPTS.into, owned as OPTS.owner says; undefined for the top itself */
function intoRewrite(opts: ExtractOptions): (h: TarHeader) => TarHeader | undefined {
  const base = cleanComponents(Buffer.from(opts.into).toString('latin1'));
  const rename = opts.rename && opts.rename.from !== opts.rename.to ? { from: Buffer.from(opts.rename.from).toString('latin1'), to: cleanComponents(Buffer.from(opts.rename.to).toString('latin1')) } : undefined;
  const under = (raw: Buffer): Buffer | undefined => {
    let comps = cleanComponents(raw.toString('latin1'));
    if (rename && comps[0] === rename.from) comps = [...rename.to, ...comps.slice(1)];
    if (comps.length === 0) return undefined;
    return Buffer.from([...base, ...comps].join('/'), 'latin1');
  };
  return (h: TarHeader) => {
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
  };
}
