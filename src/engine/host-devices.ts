/**
 * The host's devices, for `--privileged` (Docker gives such a container
 * every device of the host, as runc's HostDevices lists them): the
 * character and block devices under /dev, without the ones every container
 * gets anyway (null, zero, ..., its own ptmx and console) and without the
 * directories of other filesystems (pts, shm, mqueue).
 */
import { lstatSync, readdirSync, type Stats, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { DeviceMapping, EngineContainer } from '../spec/spec-builder.js';

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
    out.push(deviceOf(path, st));
  }
  return out;
}

function deviceOf(path: string, st: Stats): HostDevice {
  const rdev = st.rdev;
  return {
    type: st.isBlockDevice() ? 'b' : 'c',
    path,
    // Linux's dev_t: the major is bits 8-19 (and 32-43), the minor bits 0-7 and 20-31
    major: ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
    minor: (rdev & 0xff) | ((rdev >>> 12) & ~0xff),
    fileMode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

/**
 * --device HOST:CONTAINER:PERMS as the spec takes it: the node HOST is (a
 * link followed), or every node under the directory HOST (as Docker), made
 * at CONTAINER with the host node's mode and owner, and allowed in the
 * device cgroup with PERMS. A HOST that is not a device is Docker's error.
 */
export function mappedDevices(mappings: readonly DeviceMapping[]): Required<Pick<EngineContainer, 'devices' | 'deviceRules'>> {
  const devices: HostDevice[] = [];
  const deviceRules: { allow: boolean; type: 'c' | 'b'; major: number; minor: number; access: string }[] = [];
  for (const m of mappings) {
    let st: Stats;
    try {
      st = statSync(m.pathOnHost);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new MobyDickError('USAGE', `error gathering device information while adding custom device "${m.pathOnHost}": ${code === 'ENOENT' ? 'no such file or directory' : code}`, { subject: m.pathOnHost, errnoName: code });
    }
    const found = st.isDirectory()
      ? hostDevices(m.pathOnHost).map((d) => ({ ...d, path: posix.join(m.pathInContainer, posix.relative(m.pathOnHost, d.path)) }))
      : st.isCharacterDevice() || st.isBlockDevice()
        ? [{ ...deviceOf(m.pathInContainer, st) }]
        : [];
    if (!found.length) {
      throw new MobyDickError('USAGE', `error gathering device information while adding custom device "${m.pathOnHost}": not a device node`, { subject: m.pathOnHost, hint: 'give --device a character or block device, or a directory of them' });
    }
    for (const d of found) {
      devices.push(d);
      deviceRules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: m.cgroupPermissions });
    }
  }
  return { devices, deviceRules };
}
