/**
 * Where the host's cgroups are: v2 only (most current distributions), or v1
 * with a controller per hierarchy, possibly "hybrid" with a cgroup2 tree at
 * /sys/fs/cgroup/unified (these machines: only hugetlb there).
 */
import { readFileSync } from 'node:fs';

export interface CgroupLayout {
  version: 1 | 2;
  /** v1: each hierarchy's mount point and the controllers (or name=...) it carries */
  v1: { mountPoint: string; controllers: string[] }[];
  /** v2: the cgroup2 mount point (the whole tree on v2, /sys/fs/cgroup/unified on hybrid) */
  unified: string | null;
}

export function readCgroupLayout(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupLayout {
  const v1: CgroupLayout['v1'] = [];
  let unified: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const fields = before.split(' ');
    if (fields[3] !== '/') continue; // a bind of a subtree, not a hierarchy's root
    const mountPoint = fields[4] ?? '';
    const [fstype, , superOptions = ''] = after.split(' ');
    if (fstype === 'cgroup2') unified ??= mountPoint;
    if (fstype === 'cgroup') {
      const controllers = superOptions.split(',').filter((o) => !['rw', 'ro', 'relatime', 'noexec', 'nosuid', 'nodev', 'clone_children', 'xattr'].includes(o));
      v1.push({ mountPoint, controllers });
    }
  }
  return { version: v1.length > 0 ? 1 : 2, v1, unified };
}
