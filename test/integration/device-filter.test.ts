/** The cgroup v2 device filter, loaded into the kernel and enforced (on these hosts' cgroup2 tree). */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { CgroupManager } from '../../src/cgroups/cgroup.js';
import { compileDeviceFilter } from '../../src/cgroups/device-filter.js';
import { readCgroupLayout } from '../../src/cgroups/layout.js';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { run } from '../helpers/cli.js';

test('a process in the cgroup may use only the devices the rules allow', async () => {
  const unified = readCgroupLayout().unified;
  assert.ok(unified, 'a cgroup2 hierarchy');
  const dir = `${unified}/mdk-test-bpf-${process.pid}`;
  mkdirSync(dir);
  try {
    nativeAddon().attachDeviceFilter(dir, compileDeviceFilter([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'r' },
    ]), false);
    const script = `echo $$ > ${dir}/cgroup.procs
(echo x > /dev/null) 2>/dev/null && echo null-rw
(head -c 1 /dev/zero > /dev/null) 2>/dev/null || echo zero-denied
(head -c 1 /dev/urandom > /dev/null) 2>/dev/null && echo urandom-r
(echo x > /dev/urandom) 2>/dev/null || echo urandom-w-denied`;
    const r = await run('sh', ['-c', script]);
    assert.equal(r.stdout, 'null-rw\nzero-denied\nurandom-r\nurandom-w-denied\n', r.stderr);
  } finally {
    rmdirSync(dir);
  }
});

test('a program the kernel refuses is an error with the verifier\'s words', () => {
  const unified = readCgroupLayout().unified!;
  const dir = `${unified}/mdk-test-bpf-bad-${process.pid}`;
  mkdirSync(dir);
  try {
    assert.throws(() => nativeAddon().attachDeviceFilter(dir, Buffer.alloc(8), false), /loading the device filter/);
  } finally {
    rmdirSync(dir);
  }
});

test('update adds device rules: one new program replaces the old, the last matching rule wins', async () => {
  const layout = readCgroupLayout();
  const unified = layout.unified!;
  const path = `mdk-test-bpf-update-${process.pid}`;
  const dir = `${unified}/${path}`;
  // the unified tree alone, as on a v2 host (this host's holds only hugetlb); the manager
  // enables every controller offered down the path (as runc): the host's root gets back its own
  const enabled = readFileSync(`${unified}/cgroup.subtree_control`, 'utf8').trim().split(' ').filter(Boolean);
  const manager = new CgroupManager({ version: 2, v1: [], unified });
  const placement = manager.create(path, {
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ],
  });
  try {
    // stderr closed rather than sent to /dev/null: opening /dev/null is one of the probes
    const probe = `echo $$ > ${dir}/cgroup.procs
[ "$(head -c 1 /dev/zero 2>&- | wc -c)" = 1 ] && echo zero || echo no-zero
(echo x > /dev/null) 2>&- && echo null || echo no-null`;
    assert.equal((await run('sh', ['-c', probe])).stdout, 'no-zero\nnull\n');
    manager.addDeviceRules(placement, [
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
      { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' },
    ]);
    assert.equal((await run('sh', ['-c', probe])).stdout, 'zero\nno-null\n', 'the new rules apply, the old program is gone');
    assert.equal(placement.devices?.length, 4);
  } finally {
    manager.remove(placement);
    for (const c of readFileSync(`${unified}/cgroup.subtree_control`, 'utf8').trim().split(' ').filter(Boolean)) {
      if (!enabled.includes(c)) writeFileSync(`${unified}/cgroup.subtree_control`, `-${c}`);
    }
  }
});
