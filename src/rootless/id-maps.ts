/**
 * The user namespace of a rootless container: the user is root inside, and
 * the ranges /etc/subuid and /etc/subgid give the user (as newuidmap and
 * newgidmap read them) are ids 1.. inside, as rootless Podman maps them.
 * Without a range, the user alone: a single-id map, which the user may
 * write without help (and then setgroups is denied). Pure.
 */
/** One line of a uid_map or gid_map, as linux.uidMappings spells it. */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface SubIdRange {
  start: number;
  count: number;
}

/**
 * The ranges of /etc/subuid (or subgid) TEXT that belong to the user NAME
 * or UID ("name:start:count" lines; newuidmap accepts either form).
 */
export function parseSubIds(text: string, name: string, id: number): SubIdRange[] {
  const ranges: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner !== name && owner !== String(id)) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count) || Number(count) === 0) continue;
    ranges.push({ start: Number(start), count: Number(count) });
  }
  return ranges;
}

/** ID as root inside, then RANGES one after another from 1. */
export function rootlessMappings(id: number, ranges: readonly SubIdRange[]): IdMapping[] {
  const maps: IdMapping[] = [{ containerID: 0, hostID: id, size: 1 }];
  let next = 1;
  for (const r of ranges) {
    // the kernel takes at most 340 lines; a user has one or two ranges
    if (maps.length >= 340) break;
    maps.push({ containerID: next, hostID: r.start, size: r.count });
    next += r.count;
  }
  return maps;
}

/** Whether MAPS needs newuidmap/newgidmap: anything but ID alone, which its owner may write itself. */
export function needsMapHelper(maps: readonly IdMapping[], id: number): boolean {
  return !(maps.length === 1 && maps[0]!.hostID === id && maps[0]!.size === 1);
}

/** newuidmap's arguments after the pid: each mapping's three numbers. */
export function mapHelperArgs(maps: readonly IdMapping[]): string[] {
  return maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)]);
}

/** The text of /proc/PID/uid_map (or gid_map) for MAPS. */
export function mapText(maps: readonly IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}
