/**
 * A container's changes, read from its overlay's upper directory once it
 * has ended: as a layer tar (a build step's layer, `commit`) and as
 * Docker's A/C/D list (`diff`).
 *
 * The upper directory holds what the container wrote, in overlayfs's own
 * form: a deleted file is a character device 0:0 (a whiteout, written to
 * the tar as an empty `.wh.NAME`, as the OCI layer format has it) and a
 * directory made anew over a lower one has the xattr trusted.overlay.opaque
 * "y" (written as the directory and an empty `.wh..wh..opq` in it). Every
 * entry keeps its owner, mode (setuid and sticky bits too) and mtime; a file
 * with more than one name is written once and then as hard links;
 * security.capability is kept, as Docker keeps it (the one xattr its
 * layers carry). Kernel redirects (redirect_dir, metacopy) are off on these
 * hosts and refused if met.
 *
 * The mount points the runtime makes for a container that lacks them
 * (/proc, /sys, /dev, /etc/hosts, /etc/hostname, /etc/resolv.conf) are left
 * out while they are empty and the image did not have them: Docker keeps
 * them in a layer of their own that no diff shows.
 *
 * The walk goes through directory fds, never following a symlink (the
 * addon's *at calls): a name planted by the container cannot lead out.
 */
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import type { TarWriter } from '../images/tar/tar-writer.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import { fileData, lstatIn, type Stat } from '../engine/archive-fs.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../linux/file-modes.js';

const EMPTY = Buffer.alloc(0);

/** the runtime's mount points, left out while empty and new */
export const MOUNT_POINTS = new Set(['proc', 'sys', 'dev', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf']);

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  /** absolute, as Docker prints it */
  path: string;
}

interface Entry extends Stat {
  /** relative to the upper dir, '/'-separated */
  rel: string;
  name: Buffer;
  /** the directory fd it is in */
  dir: number;
}

interface Visitor {
  /** an entry; a directory's contents follow unless it returns false */
  entry(e: Entry, opaque: boolean): Promise<boolean | void>;
  /** a whiteout: REL was deleted */
  whiteout(rel: string): Promise<void>;
  /** an entry of the upper dir the layer leaves out (a mount point, one gone meanwhile): NAME in DIR */
  leftOut?(rel: string, dir: number, name: Buffer): void;
  /** directory E's contents were all visited */
  after?(e: Entry): void;
}

/** The addon's *at calls the walk makes (the addon by default; a test gives its own). */
export type DiffSyscalls = Pick<NativeAddon, 'lstatAt' | 'openDirAt' | 'readDirAt' | 'openFileAt' | 'readlinkAt' | 'getXattrAt' | 'listXattrAt' | 'removeXattrAt' | 'utimesAt'>;

function opaqueDir(fd: number, a: DiffSyscalls): boolean {
  for (const key of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    if (a.getXattrAt(fd, EMPTY, key)?.toString() === 'y') return true;
  }
  for (const key of ['trusted.overlay.redirect', 'user.overlay.redirect', 'trusted.overlay.metacopy']) {
    if (a.getXattrAt(fd, EMPTY, key) !== undefined) {
      throw new MobyDickError('BUILD', `the container's changes use overlayfs ${key}, which moby-dick cannot read as a layer`, { hint: 'mount overlay with redirect_dir=off and metacopy=off' });
    }
  }
  return false;
}

/** Whether entry E of the upper dir is a runtime's mount point that stays out. */
export type KeepOut = (rel: string, isEmpty: boolean) => boolean;

async function walk(dirFd: number, prefix: string, v: Visitor, keepOut: KeepOut, a: DiffSyscalls): Promise<void> {
  const names = a.readDirAt(dirFd).sort(Buffer.compare);
  for (const name of names) {
    const rel = prefix ? `${prefix}/${name.toString('utf8')}` : name.toString('utf8');
    const st = lstatIn(dirFd, name, a);
    if (!st) {
      v.leftOut?.(rel, dirFd, name);
      continue;
    }
    const e: Entry = { rel, name, dir: dirFd, ...st };
    const type = e.mode & S_IFMT;
    if (type === S_IFCHR && e.rdevMajor === 0 && e.rdevMinor === 0) {
      await v.whiteout(rel);
      continue;
    }
    if (type === S_IFDIR) {
      const fd = a.openDirAt(dirFd, name);
      try {
        const children = a.readDirAt(fd);
        const empty = children.length === 0;
        if (MOUNT_POINTS.has(rel) && keepOut(rel, empty)) {
          v.leftOut?.(rel, dirFd, name);
          continue;
        }
        // a directory copied up only to hold the runtime's mount points (/etc for /etc/hosts) is not a change
        if (!empty && children.every((c) => onlyMountPoint(fd, `${rel}/${c.toString('utf8')}`, c, keepOut, a))) {
          v.leftOut?.(rel, dirFd, name);
          continue;
        }
        const opaque = opaqueDir(fd, a);
        if ((await v.entry(e, opaque)) !== false) await walk(fd, rel, v, keepOut, a);
        v.after?.(e);
      } finally {
        closeSync(fd);
      }
      continue;
    }
    if (MOUNT_POINTS.has(rel) && keepOut(rel, type === S_IFREG && e.size === 0)) {
      v.leftOut?.(rel, dirFd, name);
      continue;
    }
    await v.entry(e, false);
  }
}

/** whether NAME in DIR (REL in the upper dir) is a mount point that stays out */
function onlyMountPoint(dir: number, rel: string, name: Buffer, keepOut: KeepOut, a: DiffSyscalls): boolean {
  if (!MOUNT_POINTS.has(rel)) return false;
  const st = lstatIn(dir, name, a);
  if (!st) return true;
  const type = st.mode & S_IFMT;
  if (type === S_IFREG) return keepOut(rel, st.size === 0);
  if (type === S_IFDIR) {
    const fd = a.openDirAt(dir, name);
    try {
      return keepOut(rel, a.readDirAt(fd).length === 0);
    } finally {
      closeSync(fd);
    }
  }
  return false;
}

function openUpper(upper: string): number {
  try {
    return openSync(upper, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
  } catch (e) {
    throw new MobyDickError('BUILD', `cannot read the container's changes in ${upper}: ${(e as Error).message}`, { subject: upper });
  }
}

export interface LayerDiffResult {
  /** how many entries were written */
  entries: number;
  /**
   * whether UPPER now holds exactly the files the tar describes, as the
   * store's unpacker would make them from it (so the directory itself may
   * become the layer): with `normalizeTimes`, when nothing was left out
   */
  exact: boolean;
}

export interface LayerDiffOptions {
  /**
   * after writing an entry, set its atime and mtime to the tar's
   * (whole-second) mtime, as the unpacker sets them: for an upper dir that
   * is thrown away or becomes the layer, never a live container's
   */
  normalizeTimes?: boolean;
  /**
   * with normalizeTimes, for the upper dir of a container that ran (RUN):
   * what the layer leaves out of it (the runtime's mount points, a socket)
   * is handed to SET_ASIDE, which moves NAME out of DIR (false: it could
   * not), and overlay's bookkeeping xattrs are removed, so that UPPER can
   * still be exactly the layer. An xattr the layer does not carry (user.*,
   * an ACL: the step's process set it) makes it inexact all the same.
   */
  setAside?: (dir: number, name: Buffer) => boolean;
}

/**
 * xattrs overlayfs writes into an upper dir for itself (copy-up origins,
 * "impure" directories, hard-link counts, the layer's uuid): meaningless in
 * a layer, never in an unpacked one
 */
const OVERLAY_BOOKKEEPING = new Set(['trusted.overlay.origin', 'trusted.overlay.impure', 'trusted.overlay.nlink', 'trusted.overlay.uuid']);

/**
 * Writes the changes in UPPER as a layer to W (not finished). KEEP_OUT
 * tells which empty mount points to leave out (those the image lacks).
 */
export async function writeLayerDiff(w: TarWriter, upper: string, keepOut: KeepOut, opts: LayerDiffOptions = {}, a: DiffSyscalls = nativeAddon()): Promise<LayerDiffResult> {
  const root = openUpper(upper);
  const links = new Map<string, string>();
  let count = 0;
  let exact = opts.normalizeTimes === true;
  const times = (e: Entry): void => {
    if (opts.normalizeTimes) a.utimesAt(e.dir, e.name, e.mtime, 0, e.mtime, 0);
  };
  /** with normalizeTimes: whether NAME in DIR (of TYPE) has only the xattrs the tar carries, or converts (after removing overlay's own) */
  const xattrsExact = (dir: number, name: Buffer, type: number, opaque: boolean): void => {
    if (!exact) return;
    for (const key of a.listXattrAt(dir, name)) {
      if (key === 'security.capability' && (type === S_IFREG || type === S_IFDIR)) continue;
      if (key === 'trusted.overlay.opaque' && opaque) continue;
      if (opts.setAside && OVERLAY_BOOKKEEPING.has(key)) a.removeXattrAt(dir, name, key);
      else exact = false;
    }
  };
  try {
    if (opts.normalizeTimes) xattrsExact(root, EMPTY, S_IFDIR, false);
    await walk(
      root,
      '',
      {
        async entry(e, opaque) {
          count++;
          const type = e.mode & S_IFMT;
          if (opts.normalizeTimes) xattrsExact(e.dir, e.name, type, opaque);
          const base = { name: e.rel, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: e.mtime };
          const caps = type === S_IFREG || type === S_IFDIR ? a.getXattrAt(e.dir, e.name, 'security.capability') : undefined;
          const entry = caps ? { ...base, xattrs: new Map([['security.capability', caps]]) } : base;
          switch (type) {
            case S_IFDIR:
              await w.addDirectory(entry);
              if (opaque) await w.addFile({ name: `${e.rel}/.wh..wh..opq`, mode: 0, mtime: e.mtime }, EMPTY);
              return true;
            case S_IFREG: {
              const key = `${e.dev}:${e.ino}`;
              const first = e.nlink > 1 ? links.get(key) : undefined;
              if (first !== undefined) {
                await w.addHardlink(base, first);
                return;
              }
              if (e.nlink > 1) links.set(key, e.rel);
              const fd = a.openFileAt(e.dir, e.name);
              try {
                await w.addFile({ ...entry, size: e.size }, fileData(fd, e.size, 1 << 20));
              } finally {
                closeSync(fd);
              }
              times(e);
              return;
            }
            case S_IFLNK:
              await w.addSymlink(base, a.readlinkAt(e.dir, e.name));
              times(e);
              return;
            case S_IFCHR:
            case S_IFBLK:
              await w.addNode(base, type === S_IFCHR ? 'char' : 'block', e.rdevMajor, e.rdevMinor);
              times(e);
              return;
            case S_IFIFO:
              await w.addNode(base, 'fifo');
              times(e);
              return;
            default:
              count--; // a socket: layers do not carry them
              if (!opts.setAside?.(e.dir, e.name)) exact = false;
          }
        },
        async whiteout(rel) {
          count++;
          const slash = rel.lastIndexOf('/');
          await w.addFile({ name: `${rel.slice(0, slash + 1)}.wh.${rel.slice(slash + 1)}`, mode: 0 }, EMPTY);
        },
        leftOut(_rel, dir, name) {
          if (!opts.setAside?.(dir, name)) exact = false;
        },
        // a directory's times once its contents were read (reading it moves its atime)
        after: times,
      },
      keepOut,
      a,
    );
  } finally {
    closeSync(root);
  }
  return { entries: count, exact };
}


/**
 * The changes in UPPER as `docker diff` lists them: D for a deleted path,
 * A for one the lower layers lack (EXISTS says), C for one they have, in
 * path order.
 */
export async function listChanges(upper: string, exists: (rel: string) => boolean, keepOut: KeepOut, sys: DiffSyscalls = nativeAddon()): Promise<Change[]> {
  const root = openUpper(upper);
  const out: Change[] = [];
  try {
    await walk(
      root,
      '',
      {
        async entry(e) {
          out.push({ kind: exists(e.rel) ? 'C' : 'A', path: `/${e.rel}` });
        },
        async whiteout(rel) {
          out.push({ kind: 'D', path: `/${rel}` });
        },
      },
      keepOut,
      sys,
    );
  } finally {
    closeSync(root);
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
