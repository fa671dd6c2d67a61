import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CgroupLayout } from '../cgroups/layout.js';
import { compileOciPlan } from '../oci/compile.js';
import { resolveConfig } from '../helper/config.js';
import { jailSpec } from './jail-spec.js';
import { jailCgroupLayout, jailDeviceRules, jailJoinFiles, jailRemoval, jailStarterGone, removeJailLeftovers } from './start.js';

const V1: CgroupLayout = {
  version: 1,
  v1: [
    { mountPoint: '/sys/fs/cgroup/pids', controllers: ['pids'] },
    { mountPoint: '/sys/fs/cgroup/devices', controllers: ['devices'] },
  ],
  unified: '/sys/fs/cgroup/unified',
};

describe("the jail's cgroups", () => {
  test('v1 (hybrid): every v1 hierarchy, joined by the child through tasks; the cgroup2 tree left out', () => {
    assert.deepEqual(jailCgroupLayout(V1), { ...V1, unified: null });
    assert.deepEqual(jailJoinFiles(jailCgroupLayout(V1), '/moby-dick-jail/x'), ['/sys/fs/cgroup/pids/moby-dick-jail/x/tasks', '/sys/fs/cgroup/devices/moby-dick-jail/x/tasks']);
  });

  test('at the end only the container\'s own directories go: the parents made for it stay for the next jail', () => {
    const dirs = ['/sys/fs/cgroup/pids/moby-dick-jail/x', '/sys/fs/cgroup/devices/moby-dick-jail/x'];
    const created = ['/sys/fs/cgroup/pids/moby-dick-jail', dirs[0]!, '/sys/fs/cgroup/devices/moby-dick-jail', dirs[1]!];
    const placement = { version: 1 as const, dirs, created, freezer: null, byController: { pids: dirs[0]! } };
    assert.deepEqual(jailRemoval(placement), { ...placement, created: dirs });
    assert.deepEqual(placement.created.length, 4, 'the placement itself is left as it was');
  });

  test('every jail has the same device rules, whatever its config (v1: its parent holds them for all)', () => {
    const rules = (config: Parameters<typeof resolveConfig>[0]) => jailDeviceRules(jailSpec(resolveConfig(config), 'mdk-test-dev'));
    const plain = rules({ rootfs: '/r', command: ['sh'] });
    assert.equal(plain.devices?.[0]?.allow, false, 'all denied first');
    for (const config of [
      { rootfs: '/r', command: ['sh'], capabilities: 'all' as const },
      { rootfs: '/r', command: ['sh'], readOnly: true, tty: true, hostname: 'mdk-test-h' },
      { rootfs: '/r', command: ['sh'], capabilities: ['CAP_MKNOD' as const], init: true },
    ]) {
      assert.deepEqual(rules(config), plain);
    }
  });

  test('v2: the one tree, joined by the engine (no join_cgroup)', () => {
    const v2: CgroupLayout = { version: 2, v1: [], unified: '/sys/fs/cgroup' };
    assert.deepEqual(jailCgroupLayout(v2), v2);
    assert.deepEqual(jailJoinFiles(v2, '/moby-dick-jail/x'), []);
  });

  test('the joins come right after the cgroup sync, before the cgroup namespace', () => {
    const spec = jailSpec(resolveConfig({ command: ['true'], rootfs: '/r' }), 'n');
    const files = jailJoinFiles(V1, spec.linux!.cgroupsPath!);
    const ops = compileOciPlan(spec, {
      bundle: '/r',
      detach: false,
      syncCgroup: true,
      joinCgroups: files,
      host: { kindOf: () => 'dir', cgroupV1: [], cgroupV2Only: false },
    }).map((o) => o.op);
    const sync = ops.indexOf('sync');
    assert.deepEqual(ops.slice(sync, sync + 4), ['sync', 'join_cgroup', 'join_cgroup', 'unshare']);
  });
});

describe('leftover jail cgroups', () => {
  const top = mkdtempSync(join(tmpdir(), 'mdk-test-leftovers-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  const layout: CgroupLayout = { version: 1, v1: [{ mountPoint: join(top, 'pids'), controllers: ['pids'] }, { mountPoint: join(top, 'devices'), controllers: ['devices'] }], unified: null };
  const name = (pid: number, clock = 'deadbeef'): string => `${pid.toString(16).padStart(8, '0')}${clock}`;

  test("removes those whose starter is dead, keeps the living's, ours, busy ones and other names", () => {
    const dead = name(0x7ffffff0);
    const living = name(4242);
    const ours = name(process.pid);
    const busy = name(0x7ffffff1);
    for (const h of ['pids', 'devices']) {
      for (const n of [dead, living, ours, busy, 'not-a-jail']) mkdirSync(join(top, h, 'moby-dick-jail', n), { recursive: true });
      writeFileSync(join(top, h, 'moby-dick-jail', busy, 'tasks'), '1'); // rmdir refuses it, as the kernel would
    }
    const isAlive = (pid: number): boolean => pid === 4242;
    const removed = removeJailLeftovers(layout, isAlive);
    assert.deepEqual(removed.sort(), [join(top, 'devices', 'moby-dick-jail', dead), join(top, 'pids', 'moby-dick-jail', dead)]);
    for (const h of ['pids', 'devices']) {
      for (const n of [living, ours, busy, 'not-a-jail']) assert.ok(existsSync(join(top, h, 'moby-dick-jail', n)), n);
    }
  });

  test('jailStarterGone: a jail\'s name whose starter pid (its first 8 hex digits) is gone; not this process, not another name', () => {
    const name = (pid: number) => `${pid.toString(16).padStart(8, '0')}0000beef`;
    const isAlive = (pid: number): boolean => pid === 4242;
    assert.equal(jailStarterGone(name(4243), isAlive), true);
    assert.equal(jailStarterGone(name(4242), isAlive), false);
    assert.equal(jailStarterGone(name(process.pid), () => false), false);
    assert.equal(jailStarterGone('mdk-test-x', () => false), false);
  });

  test('no parent directory, or nothing left in the first hierarchy: nothing to do', () => {
    const none: CgroupLayout = { version: 1, v1: [{ mountPoint: join(top, 'none'), controllers: ['pids'] }], unified: null };
    assert.deepEqual(removeJailLeftovers(none, () => false), []);
  });
});
