/**
 * `exec -u NAME[:GROUP]`: resolved through the container's files as they are
 * now (its own layer over the image's), read without following links;
 * with the supplementary groups /etc/group gives the user. A directory made
 * opaque by the container's overlay hides the image's files below it: the
 * store's own opaque xattr is read (user.* in a rootless store).
 */
import { readImageFile } from '../images/image-files.js';
import { resolveUser } from '../images/user-lookup.js';
import type { ContainerView } from './engine.js';

export function execUser(v: ContainerView, spec: string): { uid: number; gid: number; additionalGids: number[] } {
  const layers = [v.paths.upper, ...v.record.layers];
  const read = (path: string) => readImageFile(layers, path, undefined, v.rootless)?.toString('utf8') ?? null;
  const u = resolveUser(spec, read('/etc/passwd'), read('/etc/group'));
  // the groups that list the user, as Docker's exec gives them
  return { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
}
