/** The facts about the host that compileOciPlan needs (the impure half). */
import { readFileSync, statSync } from 'node:fs';
import type { HostFacts } from './compile.js';

export function readHostFacts(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): HostFacts {
  const cgroupV1: { name: string; options: string }[] = [];
  let cgroupV2Only = false;
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const mountPoint = before.split(' ')[4] ?? '';
    const [fstype, , superOptions = ''] = after.split(' ');
    if (!mountPoint.startsWith('/sys/fs/cgroup')) continue;
    if (fstype === 'cgroup2' && mountPoint === '/sys/fs/cgroup') cgroupV2Only = true;
    else if (fstype === 'cgroup2') cgroupV1.push({ name: mountPoint.slice('/sys/fs/cgroup/'.length), options: '' });
    else if (fstype === 'cgroup') {
      const controllers = superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro');
      cgroupV1.push({ name: mountPoint.slice('/sys/fs/cgroup/'.length), options: controllers.join(',') });
    }
  }
  return {
    kindOf(path) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return null;
      }
    },
    cgroupV1,
    cgroupV2Only,
  };
}
