/**
 * `exec -u NAME[:GROUP]`: resolved through the container's files as they are
 * now (its own layer over the image's), read without following links.
 */
import { readImageFile } from '../images/image-files.js';
import { resolveUser } from '../images/user-lookup.js';
import type { ContainerView } from './engine.js';

export function execUser(v: ContainerView, spec: string): { uid: number; gid: number } {
  const layers = [v.paths.upper, ...v.record.layers];
  const read = (path: string) => readImageFile(layers, path)?.toString('utf8') ?? null;
  const u = resolveUser(spec, read('/etc/passwd'), read('/etc/group'));
  return { uid: u.uid, gid: u.gid };
}
