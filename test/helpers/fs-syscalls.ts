/**
 * The addon's *at calls (archive-fs.ts's and layer-diff.ts's) made with
 * Node's fs through /proc/self/fd/N, for unit tests that run as any user
 * and without the addon. What only root can make is given instead: a
 * name's stat can be replaced (a whiteout: a character device 0:0), and
 * extended attributes are kept in memory. openInRoot resolves the path as
 * openat2(RESOLVE_IN_ROOT) does (resolveInRoot, below), walking path
 * strings: a model of the kernel for the callers' logic, not a boundary.
 */
import { constants as fsc, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { NativeAddon } from '../../src/helper/native-addon.js';

type FsSyscalls = Pick<NativeAddon, 'lstatAt' | 'openInRoot' | 'openDirAt' | 'readDirAt' | 'openFileAt' | 'readlinkAt' | 'getXattrAt' | 'listXattrAt' | 'removeXattrAt' | 'utimesAt'>;

export function errnoError(code: string, errno: number, what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${what}`), { code, errno: -errno });
}

/**
 * PATH below the directory ROOT as openat2(RESOLVE_IN_ROOT) resolves it:
 * ".." stops at the root, a symlink on the way is followed inside it (an
 * absolute target from the root), ELOOP after 40, ENOTDIR through a
 * non-directory; the last component is followed too. The host path it ends at.
 */
export function resolveInRoot(root: string, path: string): string {
  const done: string[] = [];
  const todo = path.split('/');
  let hops = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const here = join(root, ...done, c);
    let st: Stats;
    try {
      st = lstatSync(here);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw errnoError(err.code ?? 'EIO', Math.abs(err.errno ?? 5), here);
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw errnoError('ELOOP', 40, here);
      const target = readlinkSync(here);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
      continue;
    }
    if (todo.some((t) => t !== '' && t !== '.') && !st.isDirectory()) throw errnoError('ENOTDIR', 20, here);
    done.push(c);
  }
  return join(root, ...done);
}

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
    return openSync(resolveInRoot(this.path(rootFd, Buffer.alloc(0)), path.toString()), fsc.O_RDONLY | fsc.O_DIRECTORY);
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
