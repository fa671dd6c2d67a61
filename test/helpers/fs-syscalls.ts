/**
 * The addon's *at calls (archive-fs.ts's and layer-diff.ts's) made with
 * Node's fs through /proc/self/fd/N, for unit tests that run as any user
 * and without the addon. What only root can make is given instead: a
 * name's stat can be replaced (a whiteout: a character device 0:0), and
 * extended attributes are kept in memory. openInRoot joins the path to the
 * root's own path: enough for the callers' logic, not a security boundary.
 */
import { constants as fsc, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join, normalize } from 'node:path';
import type { NativeAddon } from '../../src/helper/native-addon.js';

type FsSyscalls = Pick<NativeAddon, 'lstatAt' | 'openInRoot' | 'openDirAt' | 'readDirAt' | 'openFileAt' | 'readlinkAt' | 'getXattrAt' | 'listXattrAt' | 'removeXattrAt' | 'utimesAt'>;

export class NodeFsSyscalls implements FsSyscalls {
  /** stats that replace a path's own: [mode, rdevMajor, rdevMinor] */
  readonly devices = new Map<string, [number, number, number]>();
  /** extended attributes by path */
  readonly xattrs = new Map<string, Map<string, Buffer>>();
  /** every call, by name */
  readonly calls: string[] = [];

  /** the path NAME in DIR_FD stands for (DIR_FD's own for an empty NAME) */
  path(dirFd: number, name: Buffer): string {
    const dir = readlinkSync(`/proc/self/fd/${dirFd}`);
    return name.length ? join(dir, name.toString()) : dir;
  }

  lstatAt(dirFd: number, name: Buffer): number[] | undefined {
    this.calls.push('lstatAt');
    const path = this.path(dirFd, name);
    let st: Stats;
    try {
      st = name.length ? lstatSync(path) : fstatSync(dirFd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const dev = this.devices.get(path);
    const [mode, major, minor] = dev ?? [st.mode, Math.floor(st.rdev / 256), st.rdev % 256];
    const s = (ms: number) => Math.floor(ms / 1000);
    return [mode, st.uid, st.gid, dev ? 0 : st.size, st.nlink, st.ino, st.dev, major, minor, s(st.atimeMs), 0, s(st.mtimeMs), 0];
  }

  openInRoot(rootFd: number, path: Buffer): number {
    this.calls.push('openInRoot');
    return openSync(join(this.path(rootFd, Buffer.alloc(0)), normalize(`/${path.toString()}`)), fsc.O_RDONLY | fsc.O_DIRECTORY);
  }

  openDirAt(dirFd: number, name: Buffer): number {
    this.calls.push('openDirAt');
    return openSync(this.path(dirFd, name), fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
  }

  readDirAt(dirFd: number): Buffer[] {
    this.calls.push('readDirAt');
    return readdirSync(this.path(dirFd, Buffer.alloc(0)), { encoding: 'buffer' });
  }

  openFileAt(dirFd: number, name: Buffer): number {
    this.calls.push('openFileAt');
    return openSync(this.path(dirFd, name), fsc.O_RDONLY | fsc.O_NOFOLLOW);
  }

  readlinkAt(dirFd: number, name: Buffer): Buffer {
    this.calls.push('readlinkAt');
    return readlinkSync(this.path(dirFd, name), { encoding: 'buffer' });
  }

  getXattrAt(dirFd: number, name: Buffer, key: string): Buffer | undefined {
    this.calls.push('getXattrAt');
    return this.xattrs.get(this.path(dirFd, name))?.get(key);
  }

  listXattrAt(dirFd: number, name: Buffer): string[] {
    this.calls.push('listXattrAt');
    return [...(this.xattrs.get(this.path(dirFd, name))?.keys() ?? [])];
  }

  removeXattrAt(dirFd: number, name: Buffer, key: string): void {
    this.calls.push('removeXattrAt');
    this.xattrs.get(this.path(dirFd, name))?.delete(key);
  }

  utimesAt(): void {
    this.calls.push('utimesAt');
  }
}
