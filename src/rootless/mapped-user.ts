/**
 * A rootless container's user (-u) must be an id its user namespace maps:
 * the kernel refuses setuid/setgid to any other with a bare EINVAL. This
 * says which id, which ranges are mapped and what to do, before the
 * container is made. Pure.
 */
import { MobyDickError } from '../errors.js';
import type { IdMapping } from './id-maps.js';

/** "0, 1-65536": the ids inside that MAPS cover */
export function mappedRanges(maps: readonly IdMapping[]): string {
  return maps.map((m) => (m.size === 1 ? `${m.containerID}` : `${m.containerID}-${m.containerID + m.size - 1}`)).join(', ');
}

function mapped(id: number, maps: readonly IdMapping[]): boolean {
  return maps.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

export interface ContainerUser {
  uid: number;
  gid: number;
}

/**
 * Throws a one-line error unless USER's uid and gid are each in the
 * container's UIDS and GIDS maps; OWNER names the user whose ranges they
 * are (for the hint).
 */
export function checkMappedUser(user: ContainerUser, uids: readonly IdMapping[], gids: readonly IdMapping[], owner: string): void {
  const wrong: [string, number, readonly IdMapping[], string] | undefined = !mapped(user.uid, uids)
    ? ['uid', user.uid, uids, '/etc/subuid']
    : !mapped(user.gid, gids)
      ? ['gid', user.gid, gids, '/etc/subgid']
      : undefined;
  if (!wrong) return;
  const [what, id, maps, file] = wrong;
  const single = maps.length === 1 && maps[0]!.size === 1;
  throw new MobyDickError('USAGE', `-u: ${what} ${id} is not mapped in the container's user namespace (mapped ${what === 'uid' ? 'uids' : 'gids'}: ${mappedRanges(maps)})`, {
    subject: String(id),
    hint: single
      ? `give ${owner} a range in /etc/subuid and /etc/subgid (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${owner}), or run as 0`
      : `pick an id in ${mappedRanges(maps)}, or give ${owner} a larger range in ${file}`,
  });
}
