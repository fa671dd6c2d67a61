import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSpec } from '../spec/default-spec.js';
import { rootlessDefaultSpec, rootlessSpec } from './rootless-spec.js';
import { limitFields, refuseForRootless } from './runtime-rules.js';

const single = { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
const ranged = {
  uidMappings: [...single.uidMappings, { containerID: 1, hostID: 100000, size: 65536 }],
  gidMappings: [...single.gidMappings, { containerID: 1, hostID: 100000, size: 65536 }],
};

describe('rootlessSpec', () => {
  test('a new user namespace first, with the maps, and no cgroup path', () => {
    const s = defaultSpec();
    s.linux!.cgroupsPath = '/x/y';
    s.linux!.namespaces!.push({ type: 'user', path: '/proc/1/ns/user' });
    const r = rootlessSpec(s, ranged);
    assert.deepEqual(r.linux!.namespaces![0], { type: 'user' });
    assert.equal(r.linux!.namespaces!.filter((n) => n.type === 'user').length, 1);
    assert.deepEqual(r.linux!.uidMappings, ranged.uidMappings);
    assert.deepEqual(r.linux!.gidMappings, ranged.gidMappings);
    assert.equal(r.linux!.cgroupsPath, undefined);
  });

  test("devpts keeps gid=5 only when gid 5 is mapped (the kernel refuses it otherwise)", () => {
    const pts = (m: ReturnType<typeof defaultSpec>) => m.mounts!.find((x) => x.type === 'devpts')!.options!;
    assert.ok(!pts(rootlessSpec(defaultSpec(), single)).includes('gid=5'));
    assert.ok(pts(rootlessSpec(defaultSpec(), ranged)).includes('gid=5'));
    assert.ok(pts(rootlessSpec(defaultSpec(), single)).includes('newinstance'));
  });

  test("the host's network namespace: the host's /sys bound read-only instead of a fresh sysfs; its own namespace keeps sysfs", () => {
    const sys = (m: ReturnType<typeof defaultSpec>) => m.mounts!.find((x) => x.destination === '/sys')!;
    const host = defaultSpec();
    host.linux!.namespaces = host.linux!.namespaces!.filter((n) => n.type !== 'network');
    assert.deepEqual(sys(rootlessSpec(host, ranged)), { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    assert.equal(sys(rootlessSpec(defaultSpec(), ranged)).type, 'sysfs');
  });

  test("the host's /sys brings its cgroup2 mount along: a tmpfs at /sys/fs/cgroup under the cgroup mount (one right on another of the same hierarchy is EBUSY); its own network namespace needs none", () => {
    const cgroupMounts = (m: ReturnType<typeof defaultSpec>) => m.mounts!.filter((x) => x.destination === '/sys/fs/cgroup').map((x) => x.type);
    const host = defaultSpec();
    host.linux!.namespaces = host.linux!.namespaces!.filter((n) => n.type !== 'network');
    const r = rootlessSpec(host, ranged);
    assert.deepEqual(cgroupMounts(r), ['tmpfs', 'cgroup']);
    const at = (destination: string, type: string) => r.mounts!.findIndex((x) => x.destination === destination && x.type === type);
    assert.ok(at('/sys', 'bind') < at('/sys/fs/cgroup', 'tmpfs') && at('/sys/fs/cgroup', 'tmpfs') === at('/sys/fs/cgroup', 'cgroup') - 1, 'after /sys, right before the cgroup mount');
    assert.deepEqual(cgroupMounts(rootlessSpec(defaultSpec(), ranged)), ['cgroup']);
  });

  test("the host's PID namespace: the host's /proc bound (rbind) instead of a fresh proc, the masked and read-only paths kept; a PID namespace of its own, or another's, keeps proc", () => {
    const proc = (m: ReturnType<typeof defaultSpec>) => m.mounts!.find((x) => x.destination === '/proc')!;
    const host = defaultSpec();
    host.linux!.namespaces = host.linux!.namespaces!.filter((n) => n.type !== 'pid');
    const r = rootlessSpec(host, ranged);
    assert.deepEqual(proc(r), { destination: '/proc', type: 'bind', source: '/proc', options: ['rbind', 'nosuid', 'noexec', 'nodev'] });
    assert.deepEqual(r.linux!.maskedPaths, defaultSpec().linux!.maskedPaths);
    assert.deepEqual(r.linux!.readonlyPaths, defaultSpec().linux!.readonlyPaths);
    assert.equal(proc(rootlessSpec(defaultSpec(), ranged)).type, 'proc');
    const joined = defaultSpec();
    joined.linux!.namespaces = joined.linux!.namespaces!.map((n) => (n.type === 'pid' ? { type: 'pid', path: '/proc/42/ns/pid' } : n));
    assert.equal(proc(rootlessSpec(joined, ranged)).type, 'proc');
  });

  test('spec --rootless: the user alone as root, no cgroup rules, and it passes the rootless rules', () => {
    const s = rootlessDefaultSpec(1234, 5678);
    assert.deepEqual(s.linux!.uidMappings, [{ containerID: 0, hostID: 1234, size: 1 }]);
    assert.deepEqual(s.linux!.gidMappings, [{ containerID: 0, hostID: 5678, size: 1 }]);
    assert.equal(s.linux!.resources, undefined);
    assert.doesNotThrow(() => refuseForRootless(s));
  });
});

describe('refuseForRootless', () => {
  test('no new user namespace: refused, naming the field', () => {
    assert.throws(() => refuseForRootless(defaultSpec()), /linux\.namespaces: a rootless container needs a new user namespace/);
  });

  test('limits refused in one line naming each; device rules and empty objects are no limits', () => {
    const s = rootlessSpec(defaultSpec(), single);
    s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }], cpu: {} };
    assert.deepEqual(limitFields(s), []);
    s.linux!.resources = { memory: { limit: 1 << 20 }, pids: { limit: 10 } };
    assert.deepEqual(limitFields(s), ['linux.resources.memory', 'linux.resources.pids']);
    assert.throws(() => refuseForRootless(s), (e: Error) => /linux\.resources\.memory, linux\.resources\.pids: cgroup limits are not available to a rootless container/.test(e.message) && !e.message.includes('\n'));    // a delegated cgroup v2 subtree takes them (its controllers are checked by cgroups/delegation.ts)
    assert.doesNotThrow(() => refuseForRootless(s, true));
  });
});
