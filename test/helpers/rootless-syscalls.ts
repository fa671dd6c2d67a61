/**
 * A LayerSyscalls for unit tests that run as any user: the real addon's
 * calls, except the three only root may make, which are kept in memory
 * instead and answered from there — an owner (chownAt, and the owner a
 * queued file is to get), a device node (mknodAt of a character or block
 * device: an empty regular file on disk, its type and numbers here) and a
 * trusted.* or security.* extended attribute. Paths are the real ones
 * (/proc/self/fd/N resolved), so a test asks `owner(path)`, `device(path)`,
 * `xattr(path, key)`. The worker threads still write, chmod and time the
 * files; they are given the caller's own uid and gid, so they chown nothing.
 * The addon's file queue is the process's (file-queue.ts): it keeps the
 * LayerSyscalls of the first unpack, so a test file uses this one only.
 */
import { closeSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FileOp, FileOpKind } from '../../src/images/unpack/file-queue.js';
import type { LayerSyscalls } from '../../src/helper/layer-syscalls.js';
import { nativeAddon } from '../../src/helper/native-addon.js';

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

export interface FakeDevice {
  type: 'char' | 'block';
  major: number;
  minor: number;
}

export class RootlessSyscalls implements LayerSyscalls {
  private readonly real: LayerSyscalls = nativeAddon();
  private readonly owners = new Map<string, [number, number]>();
  private readonly devices = new Map<string, FakeDevice & { mode: number }>();
  private readonly xattrs = new Map<string, Map<string, Buffer>>();
  private readonly uid = process.getuid?.() ?? 0;
  private readonly gid = process.getgid?.() ?? 0;

  /** the path NAME in DIRFD stands for (DIRFD itself for an empty NAME) */
  private path(dirFd: number, name: Buffer): string {
    const dir = readlinkSync(`/proc/self/fd/${dirFd}`);
    return name.length ? join(dir, name.toString('latin1')) : dir;
  }

  /** forgets what was kept of PATH and everything under it (it was removed or replaced) */
  private forget(path: string): void {
    for (const m of [this.owners, this.devices, this.xattrs] as Map<string, unknown>[]) {
      for (const k of m.keys()) if (k === path || k.startsWith(`${path}/`)) m.delete(k);
    }
  }

  owner(path: string): [number, number] | undefined {
    return this.owners.get(path);
  }

  device(path: string): FakeDevice | undefined {
    const d = this.devices.get(path);
    return d && { type: d.type, major: d.major, minor: d.minor };
  }

  xattr(path: string, key: string): Buffer | undefined {
    return this.xattrs.get(path)?.get(key);
  }

  openInRoot(rootFd: number, path: Buffer): number {
    return this.real.openInRoot(rootFd, path);
  }
  mkdirAt(dirFd: number, name: Buffer, mode: number): void {
    this.real.mkdirAt(dirFd, name, mode);
  }
  mknodAt(dirFd: number, name: Buffer, mode: number, major: number, minor: number): void {
    const type = mode & S_IFMT;
    if (type !== S_IFCHR && type !== S_IFBLK) return this.real.mknodAt(dirFd, name, mode, major, minor);
    closeSync(this.real.createFileAt(dirFd, name, mode & 0o7777));
    this.devices.set(this.path(dirFd, name), { type: type === S_IFCHR ? 'char' : 'block', major, minor, mode });
  }
  symlinkAt(target: Buffer, dirFd: number, name: Buffer): void {
    this.real.symlinkAt(target, dirFd, name);
  }
  linkAt(oldDirFd: number, oldName: Buffer, newDirFd: number, newName: Buffer): void {
    this.real.linkAt(oldDirFd, oldName, newDirFd, newName);
    const from = this.path(oldDirFd, oldName);
    const to = this.path(newDirFd, newName);
    const owner = this.owners.get(from);
    if (owner) this.owners.set(to, owner);
    const device = this.devices.get(from);
    if (device) this.devices.set(to, device);
  }
  createFileAt(dirFd: number, name: Buffer, mode?: number): number {
    this.forget(this.path(dirFd, name));
    return this.real.createFileAt(dirFd, name, mode);
  }
  openDirAt(dirFd: number, name: Buffer): number {
    return this.real.openDirAt(dirFd, name);
  }
  statAt(dirFd: number, name: Buffer): [number, number, number, number] | undefined {
    const st = this.real.statAt(dirFd, name);
    if (!st) return st;
    const path = this.path(dirFd, name);
    const device = this.devices.get(path);
    const owner = this.owners.get(path);
    const mode = device ? (device.type === 'char' ? S_IFCHR : S_IFBLK) | (st[0] & 0o7777) : st[0];
    return [mode, st[1], owner?.[0] ?? st[2], owner?.[1] ?? st[3]];
  }
  dupFd(fd: number): number {
    return this.real.dupFd(fd);
  }
  unlinkAt(dirFd: number, name: Buffer, isDir: boolean): void {
    this.real.unlinkAt(dirFd, name, isDir);
    this.forget(this.path(dirFd, name));
  }
  chownAt(dirFd: number, name: Buffer, uid: number, gid: number): void {
    this.owners.set(this.path(dirFd, name), [uid, gid]);
  }
  chmodAt(dirFd: number, name: Buffer, mode: number): void {
    this.real.chmodAt(dirFd, name, mode);
  }
  utimesAt(dirFd: number, name: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void {
    this.real.utimesAt(dirFd, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec);
  }
  setXattrAt(dirFd: number, name: Buffer, key: string, value: Buffer): void {
    if (!key.startsWith('trusted.') && !key.startsWith('security.')) return this.real.setXattrAt(dirFd, name, key, value);
    const path = this.path(dirFd, name);
    const m = this.xattrs.get(path) ?? new Map<string, Buffer>();
    m.set(key, Buffer.from(value));
    this.xattrs.set(path, m);
  }
  getXattrAt(dirFd: number, name: Buffer, key: string): Buffer | undefined {
    return this.xattrs.get(this.path(dirFd, name))?.get(key) ?? this.real.getXattrAt(dirFd, name, key);
  }
  queueFiles(data: ArrayBuffer | null, ops: Float64Array, count: number, names: Buffer): void {
    const mine = ops.slice(0, count * FileOp.Fields);
    for (let i = 0; i < count; i++) {
      const o = i * FileOp.Fields;
      const kind = mine[o + FileOp.Kind];
      if (kind === FileOpKind.Whole || kind === FileOpKind.End || kind === FileOpKind.Create) {
        const path = kind === FileOpKind.Create
          ? this.path(mine[o + FileOp.Dir]!, names.subarray(mine[o + FileOp.NameOff]!, mine[o + FileOp.NameOff]! + mine[o + FileOp.NameLen]!))
          : readlinkSync(`/proc/self/fd/${mine[o + FileOp.Fd]!}`);
        this.forget(path);
        this.owners.set(path, [mine[o + FileOp.Uid]!, mine[o + FileOp.Gid]!]);
      }
      mine[o + FileOp.Uid] = this.uid;
      mine[o + FileOp.Gid] = this.gid;
    }
    this.real.queueFiles(data, mine, count, names);
  }
  waitFiles(maxBytes: number, maxJobs: number): [number, number] {
    return this.real.waitFiles(maxBytes, maxJobs);
  }
  fileWorkers(n: number): void {
    this.real.fileWorkers(n);
  }
  drainFiles(): number[] {
    return this.real.drainFiles();
  }
  mapFile(fd: number, length: number): ArrayBuffer {
    return this.real.mapFile(fd, length);
  }
}

