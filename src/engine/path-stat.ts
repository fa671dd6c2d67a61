/**
 * What `docker cp` asks of a path in a container before it copies (the
 * Engine API's X-Docker-Container-Path-Stat): its name, size, mode, mtime
 * and a symlink's target, the path resolved inside the container's root
 * (archive-fs.ts), the last name not followed.
 */
import { closeSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import { nativeAddon } from '../helper/native-addon.js';
import { locate, type LocateSyscalls, type Stat } from './archive-fs.js';
import { withContainerRoot } from './container-fs.js';
import type { Engine } from './engine.js';

export interface PathStat {
  name: string;
  stat: Stat;
  linkTarget: string;
}

export async function statInContainer(engine: Engine, ref: string, path: string, sys: LocateSyscalls = nativeAddon()): Promise<PathStat> {
  return withContainerRoot(engine, ref, 'read', async (root) => statInRoot(root.fd, path, ref, sys));
}

/**
 * PATH inside the root ROOT_FD (the container REF's, for messages): its
 * last name not followed, a symlink's target read as it is. A path that is
 * missing, or goes through a non-directory, is Docker's "Could not find
 * the file" (a USAGE error, the API's 404).
 */
export function statInRoot(rootFd: number, path: string, ref: string, sys: LocateSyscalls): PathStat {
  const missing = () => new MobyDickError('USAGE', `Could not find the file ${path} in container ${ref}`, { container: ref, subject: path });
  let loc;
  try {
    loc = locate(rootFd, path, false, sys);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw missing();
    throw e;
  }
  try {
    if (!loc.st) throw missing();
    const isLink = (loc.st.mode & 0o170000) === 0o120000;
    const linkTarget = isLink ? sys.readlinkAt(loc.dir, loc.name).toString() : '';
    const name = loc.name.length ? loc.name.toString() : path.split('/').filter(Boolean).pop() ?? '/';
    return { name, stat: loc.st, linkTarget };
  } finally {
    closeSync(loc.dir);
  }
}
