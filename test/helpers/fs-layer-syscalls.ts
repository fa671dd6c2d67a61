/**
 * LayerSyscalls (the layer unpacker's) made with Node's fs, for unit tests
 * that run as any user and without the addon: every call is recorded, and
 * what only root may make is kept in memory by inode — an owner (chownAt, a
 * queued file's), a device node or FIFO (mknodAt: an empty regular file on
 * disk, its type and numbers here), every extended attribute. chown clears
 * a file's setuid and setgid bits and its security.capability, as the
 * kernel does, so an unpacker that sets them in the wrong order is caught.
 *
 * The addon's contract is kept where the unpacker's safety rests on it: a
 * NAME is one component (no '/', not "." or ".."; EINVAL otherwise),
 * nothing is followed at the last component, and openInRoot resolves a
 * path as openat2(RESOLVE_IN_ROOT) does: ".." stops at the root, a symlink
 * is followed inside it (an absolute target from the root), ELOOP after 40.
 * It walks path strings, so it is a model of the kernel, not a boundary.
 *
 * The writer threads' queue (queueFiles) runs on the caller's thread, on a
 * schedule the test picks: 'eager' writes each batch at once, 'lazy' only
 * when the unpacker waits for more room or drains — the slowest worker
 * possible, so an entry that should have drained first meets a file not yet
 * there, or a directory fd closed too soon. `failFile` makes the queued
 * file of that name fail with an errno, as a full disk would.
 */
import {
  closeSync, constants as fsc, fchmodSync, fstatSync, futimesSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync,
  readFileSync, readSync, rmdirSync, symlinkSync, unlinkSync, writeSync, chmodSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { FileOp, FileOpKind } from '../../src/images/unpack/file-queue.js';
import type { LayerSyscalls } from '../../src/helper/layer-syscalls.js';
import { errnoError, resolveInRoot } from './fs-syscalls.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** what the fake keeps of an inode */
interface Meta {
  owner?: [number, number];
  node?: { type: 'char' | 'block' | 'fifo'; major: number; minor: number };
  xattrs: Map<string, Buffer>;
}

interface Job {
  kind: FileOpKind;
  id: number;
  fd: number;
  data: Buffer;
  uid: number;
  gid: number;
  mode: number;
  atime: [number, number];
  mtime: [number, number];
  dir: number;
  name: Buffer;
}

/** an fs error's errno as a positive number */
const errnoOf = (e: unknown): number => Math.abs(Number((e as NodeJS.ErrnoException).errno ?? 5)) || 5;

export class FsLayerSyscalls implements LayerSyscalls {
  /** every call: "name arg", in order */
  readonly calls: string[] = [];
  /** when the queued files are written (see above) */
  schedule: 'eager' | 'lazy' = 'lazy';
  /** the queued file of this name fails with this errno */
  failFile: { name: string; errno: number } | undefined;
  private readonly meta = new Map<number, Meta>();
  private readonly jobs: Job[] = [];
  private doneId = 0;
  private failures: number[] = [];
  workers = 0;

  /** the path NAME in DIRFD stands for (DIRFD's own for an empty NAME) */
  path(dirFd: number, name: Buffer): string {
    const dir = readlinkSync(`/proc/self/fd/${dirFd}`);
    return name.length ? join(dir, name.toString('latin1')) : dir;
  }

  /** the addon refuses a name of more than one component */
  private plain(name: Buffer, emptyOk: boolean): void {
    const s = name.toString('latin1');
    if ((s === '' && !emptyOk) || s.includes('/') || s === '.' || s === '..') throw errnoError('EINVAL', 22, `not a single name: ${JSON.stringify(s)}`);
  }

  private record(call: string, name: Buffer | string): void {
    this.calls.push(`${call} ${typeof name === 'string' ? name : name.toString('latin1')}`);
  }

  private lstatOf(dirFd: number, name: Buffer): Stats | undefined {
    try {
      return name.length ? lstatSync(this.path(dirFd, name)) : fstatSync(dirFd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private metaOf(ino: number): Meta {
    let m = this.meta.get(ino);
    if (!m) this.meta.set(ino, (m = { xattrs: new Map() }));
    return m;
  }

  /** a new inode: nothing kept of an old one of the same number */
  private fresh(ino: number): Meta {
    this.meta.delete(ino);
    return this.metaOf(ino);
  }

  /**
   * forgets what it kept: kept by inode number, it would be taken for a
   * file made without it (a test's own) that got a number used before
   */
  forget(): void {
    this.meta.clear();
  }

  /** what a test asks of PATH (not followed): its owner, its node, an xattr */
  owner(path: string): [number, number] | undefined {
    return this.meta.get(lstatSync(path).ino)?.owner;
  }
  node(path: string): Meta['node'] {
    return this.meta.get(lstatSync(path).ino)?.node;
  }
  xattr(path: string, key: string): Buffer | undefined {
    return this.meta.get(lstatSync(path).ino)?.xattrs.get(key);
  }

  openInRoot(rootFd: number, path: Buffer): number {
    this.record('openInRoot', path);
    return openSync(resolveInRoot(this.path(rootFd, Buffer.alloc(0)), path.toString('latin1')), fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
  }

  mkdirAt(dirFd: number, name: Buffer, mode: number): void {
    this.record('mkdirAt', name);
    this.plain(name, false);
    const path = this.path(dirFd, name);
    mkdirSync(path, { mode });
    this.fresh(lstatSync(path).ino);
  }

  mknodAt(dirFd: number, name: Buffer, mode: number, major: number, minor: number): void {
    this.record('mknodAt', name);
    this.plain(name, false);
    const type = mode & S_IFMT;
    const kind = type === S_IFCHR ? 'char' : type === S_IFBLK ? 'block' : type === S_IFIFO ? 'fifo' : undefined;
    if (!kind) throw errnoError('EINVAL', 22, `mknod of type ${type.toString(8)}`);
    const fd = openSync(this.path(dirFd, name), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode & 0o7777);
    try {
      this.fresh(fstatSync(fd).ino).node = { type: kind, major, minor };
    } finally {
      closeSync(fd);
    }
  }

  symlinkAt(target: Buffer, dirFd: number, name: Buffer): void {
    this.record('symlinkAt', name);
    this.plain(name, false);
    const path = this.path(dirFd, name);
    symlinkSync(target.toString('latin1'), path);
    this.fresh(lstatSync(path).ino);
  }

  linkAt(oldDirFd: number, oldName: Buffer, newDirFd: number, newName: Buffer): void {
    this.record('linkAt', `${oldName.toString('latin1')} ${newName.toString('latin1')}`);
    this.plain(oldName, false);
    this.plain(newName, false);
    // link(2) does not follow a symlink: the inode and what is kept of it are shared
    linkSync(this.path(oldDirFd, oldName), this.path(newDirFd, newName));
  }

  createFileAt(dirFd: number, name: Buffer, mode = 0o600): number {
    this.record('createFileAt', name);
    this.plain(name, false);
    const fd = openSync(this.path(dirFd, name), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode);
    this.fresh(fstatSync(fd).ino);
    return fd;
  }

  openDirAt(dirFd: number, name: Buffer): number {
    this.record('openDirAt', name);
    this.plain(name, false);
    return openSync(this.path(dirFd, name), fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
  }

  statAt(dirFd: number, name: Buffer): [number, number, number, number] | undefined {
    this.record('statAt', name);
    this.plain(name, true);
    const st = this.lstatOf(dirFd, name);
    if (!st) return undefined;
    const m = this.meta.get(st.ino);
    const type = m?.node ? { char: S_IFCHR, block: S_IFBLK, fifo: S_IFIFO }[m.node.type] : st.mode & S_IFMT;
    return [type | (st.mode & 0o7777), st.ino, m?.owner?.[0] ?? st.uid, m?.owner?.[1] ?? st.gid];
  }

  dupFd(fd: number): number {
    this.record('dupFd', String(fd));
    // a new open of the same directory: what the unpacker needs of a dup
    return openSync(`/proc/self/fd/${fd}`, fsc.O_RDONLY | fsc.O_DIRECTORY);
  }

  unlinkAt(dirFd: number, name: Buffer, isDir: boolean): void {
    this.record('unlinkAt', name);
    this.plain(name, false);
    const path = this.path(dirFd, name);
    if (isDir) rmdirSync(path);
    else unlinkSync(path);
  }

  /** records the owner; the kernel's chown clears setuid, setgid and security.capability */
  private chownIno(st: Stats, uid: number, gid: number, chmod: (mode: number) => void): void {
    const m = this.metaOf(st.ino);
    m.owner = [uid, gid];
    m.xattrs.delete('security.capability');
    if ((st.mode & S_IFMT) === S_IFREG && st.mode & 0o6000) chmod(st.mode & 0o1777);
  }

  chownAt(dirFd: number, name: Buffer, uid: number, gid: number): void {
    this.record('chownAt', name);
    this.plain(name, true);
    const st = this.lstatOf(dirFd, name);
    if (!st) throw errnoError('ENOENT', 2, this.path(dirFd, name));
    this.chownIno(st, uid, gid, (mode) => (name.length ? chmodSync(this.path(dirFd, name), mode) : fchmodSync(dirFd, mode)));
  }

  chmodAt(dirFd: number, name: Buffer, mode: number): void {
    this.record('chmodAt', name);
    this.plain(name, true);
    if (!name.length) return fchmodSync(dirFd, mode);
    const st = this.lstatOf(dirFd, name);
    if (!st) throw errnoError('ENOENT', 2, this.path(dirFd, name));
    if ((st.mode & S_IFMT) === S_IFLNK) return; // a symlink is left as it is
    chmodSync(this.path(dirFd, name), mode);
  }

  utimesAt(dirFd: number, name: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void {
    this.record('utimesAt', name);
    this.plain(name, true);
    const a = atimeSec + atimeNsec / 1e9;
    const m = mtimeSec + mtimeNsec / 1e9;
    if (name.length) lutimesSync(this.path(dirFd, name), a, m);
    else futimesSync(dirFd, a, m);
  }

  setXattrAt(dirFd: number, name: Buffer, key: string, value: Buffer): void {
    this.record('setXattrAt', `${name.toString('latin1')} ${key}`);
    this.plain(name, true);
    const st = this.lstatOf(dirFd, name);
    if (!st) throw errnoError('ENOENT', 2, this.path(dirFd, name));
    this.metaOf(st.ino).xattrs.set(key, Buffer.from(value));
  }

  getXattrAt(dirFd: number, name: Buffer, key: string): Buffer | undefined {
    this.record('getXattrAt', `${name.toString('latin1')} ${key}`);
    this.plain(name, true);
    const st = this.lstatOf(dirFd, name);
    return st && this.meta.get(st.ino)?.xattrs.get(key);
  }

  queueFiles(data: ArrayBuffer | null, ops: Float64Array, count: number, names: Buffer): void {
    this.record('queueFiles', String(count));
    for (let i = 0; i < count; i++) {
      const o = i * FileOp.Fields;
      const at = (f: FileOp) => ops[o + f]!;
      const len = at(FileOp.DataLen);
      this.jobs.push({
        kind: at(FileOp.Kind),
        id: at(FileOp.Id),
        fd: at(FileOp.Fd),
        // copied: the fake may write it after the input chunk is gone
        data: len && data ? Buffer.from(Buffer.from(data, at(FileOp.DataOff), len)) : Buffer.alloc(0),
        uid: at(FileOp.Uid),
        gid: at(FileOp.Gid),
        mode: at(FileOp.Mode),
        atime: [at(FileOp.AtimeSec), at(FileOp.AtimeNsec)],
        mtime: [at(FileOp.MtimeSec), at(FileOp.MtimeNsec)],
        dir: at(FileOp.Dir),
        name: Buffer.from(names.subarray(at(FileOp.NameOff), at(FileOp.NameOff) + at(FileOp.NameLen))),
      });
    }
    if (this.schedule === 'eager') this.runJobs(0, 0);
  }

  waitFiles(maxBytes: number, maxJobs: number): [number, number] {
    this.runJobs(maxBytes, maxJobs);
    return [this.doneId, this.failures.length ? 1 : 0];
  }

  fileWorkers(n: number): void {
    this.workers = Math.max(this.workers, n);
  }

  drainFiles(): number[] {
    this.record('drainFiles', String(this.jobs.length));
    this.runJobs(0, 0);
    const out = this.failures;
    this.failures = [];
    return out;
  }

  mapFile(fd: number, length: number): ArrayBuffer {
    this.record('mapFile', String(length));
    const buf = Buffer.alloc(length);
    let off = 0;
    while (off < length) {
      const n = readSync(fd, buf, off, length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + length) as ArrayBuffer;
  }

  /** runs queued files while more than MAX_BYTES of data or MAX_JOBS jobs wait */
  private runJobs(maxBytes: number, maxJobs: number): void {
    let bytes = this.jobs.reduce((n, j) => n + j.data.length, 0);
    while (this.jobs.length && (this.jobs.length > maxJobs || bytes > maxBytes)) {
      const j = this.jobs.shift()!;
      bytes -= j.data.length;
      const errno = this.runJob(j);
      if (errno) this.failures.push(j.id, errno);
      this.doneId = j.id;
    }
  }

  /** run_file_job of native/addon/layer-writer.c: 0, or the errno */
  private runJob(j: Job): number {
    try {
      if (j.kind === FileOpKind.Create) {
        this.plain(j.name, false);
        j.fd = openSync(this.path(j.dir, j.name), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, j.uid === 0 && j.gid === 0 ? j.mode & 0o777 : 0o600);
        this.fresh(fstatSync(j.fd).ino);
      }
    } catch (e) {
      return errnoOf(e);
    }
    const target = this.failFile;
    if (target && j.kind !== FileOpKind.End && readlinkSync(`/proc/self/fd/${j.fd}`).endsWith(`/${target.name}`)) {
      if (j.kind !== FileOpKind.Append) closeSync(j.fd);
      return target.errno;
    }
    try {
      for (let off = 0; off < j.data.length; ) off += writeSync(j.fd, j.data, off);
    } catch (e) {
      if (j.kind !== FileOpKind.Append) closeSync(j.fd);
      return errnoOf(e);
    }
    if (j.kind === FileOpKind.Append) return 0;
    return this.finish(j);
  }

  /** finish_file: the owner, then the mode (chown clears setuid and setgid), then the times, then close */
  private finish(j: Job): number {
    try {
      const st = fstatSync(j.fd);
      const m = this.meta.get(st.ino);
      const [uid, gid] = m?.owner ?? [st.uid, st.gid];
      const chowned = uid !== j.uid || gid !== j.gid;
      if (chowned) this.chownIno(st, j.uid, j.gid, (mode) => fchmodSync(j.fd, mode));
      if (chowned || (st.mode & 0o7777) !== j.mode) fchmodSync(j.fd, j.mode);
      futimesSync(j.fd, j.atime[0] + j.atime[1] / 1e9, j.mtime[0] + j.mtime[1] / 1e9);
      return 0;
    } catch (e) {
      return errnoOf(e);
    } finally {
      closeSync(j.fd);
    }
  }
}

/** whether this process has loaded the addon (build/mdk-node.node): a test that must run without it asks */
export function addonLoaded(): boolean {
  return readFileSync('/proc/self/maps', 'utf8').includes('mdk-node.node');
}
