import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHostFacts } from './host-facts.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

test('cgroup v1 hierarchies (hybrid host) from mountinfo', () => {
  const facts = readHostFacts(HYBRID);
  assert.equal(facts.cgroupV2Only, false);
  assert.deepEqual(facts.cgroupV1, [
    { name: 'cpu,cpuacct', options: 'cpu,cpuacct' },
    { name: 'memory', options: 'memory' },
    { name: 'systemd', options: 'name=systemd' },
    { name: 'unified', options: '' },
  ]);
});

test('a v2-only host', () => {
  const facts = readHostFacts('30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n');
  assert.equal(facts.cgroupV2Only, true);
  assert.deepEqual(facts.cgroupV1, []);
});
