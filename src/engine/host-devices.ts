/**
 * The host's devices, for `--privileged` (Docker gives such a container
 * every device of the host, as runc's HostDevices lists them): the
 * character and block devices under /dev, without the ones every container
 * gets anyway (null, zero, ..., its own ptmx and console) and without the
 * directories of other filesystems (pts, shm, mqueue).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface HostDevice {
  type: 'c' | 'b';
  path: string;
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const SKIP_DIRS = new Set(['pts', 'shm', 'mqueue', 'fd', '.lxc', '.lxd-mounts', '.udev']);
const EVERY_CONTAINER_HAS = new Set(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'ptmx']);

export function hostDevices(dir = '/dev'): HostDevice[] {
  const out: HostDevice[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // gone meanwhile
    }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...hostDevices(path));
      continue;
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
    if (dir === '/dev' && EVERY_CONTAINER_HAS.has(name)) continue;
    const rdev = st.rdev;
    out.push({
      type: st.isBlockDevice() ? 'b' : 'c',
      path,
      // Linux's dev_t: the major is bits 8-19 (and 32-43), the minor bits 0-7 and 20-31
      major: ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
      minor: (rdev & 0xff) | ((rdev >>> 12) & ~0xff),
      fileMode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    });
  }
  return out;
}
