import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DOCKER_DEFAULT_CAPABILITIES, heldCapabilities } from '../linux/capabilities.js';
import { SpecSchema } from './schema.js';
import { buildSpec, capabilitySet, DEFAULT_SHM_SIZE, type EngineContainer, RUN_DEFAULTS } from './spec-builder.js';

const BASE: EngineContainer = {
  ...RUN_DEFAULTS,
  id: 'c1',
  rootfs: '/var/lib/moby-dick/containers/c1/merged',
  argv: ['sh'],
  env: ['PATH=/bin'],
  cwd: '/',
  user: { uid: 0, gid: 0, additionalGids: [] },
  hostname: 'c1',
  cgroupsPath: '/moby-dick/c1',
};
const spec = (change: Partial<EngineContainer> = {}) => buildSpec({ ...BASE, ...change });

describe('buildSpec: Docker\'s defaults as an OCI config', () => {
  test('a hostname longer than the kernel takes is refused when the container is created', () => {
    assert.doesNotThrow(() => spec({ hostname: 'h'.repeat(64) }));
    assert.throws(() => spec({ hostname: 'h'.repeat(65) }), /invalid hostname "h{65}": longer than the kernel's 64 bytes/);
  });

  test('the result keeps to the config.json schema (engine/load-spec.test.ts: and to the rules across fields)', () => {
    const built = spec({ memory: 1 << 28, nanoCpus: 1.5e9, pidsLimit: 64, tty: true, ulimits: [{ name: 'nofile', soft: 100, hard: 200 }] });
    const parsed = SpecSchema.safeParse(JSON.parse(JSON.stringify(built)));
    assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
  });

  test('14 default capabilities, masked paths, seccomp, a network namespace of its own', () => {
    const s = spec();
    assert.deepEqual(s.process?.capabilities?.bounding, [...DOCKER_DEFAULT_CAPABILITIES]);
    assert.ok(s.linux?.maskedPaths?.includes('/proc/kcore'));
    assert.ok(s.linux?.readonlyPaths?.includes('/proc/sys'));
    assert.equal(s.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(s.linux?.namespaces?.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'network']);
    assert.deepEqual(s.linux?.resources?.devices, [{ allow: false, access: 'rwm' }]);
    assert.equal(s.mounts?.find((m) => m.destination === '/dev/shm')?.options?.at(-1), `size=${DEFAULT_SHM_SIZE}`);
    assert.equal(s.mounts?.find((m) => m.destination === '/sys')?.options?.at(-1), 'ro');
  });

  test('limits: --memory (swap twice it by default), --cpus as a CFS quota, --pids-limit, --ulimit', () => {
    const s = spec({ memory: 100, nanoCpus: 1.5e9, cpuShares: 512, pidsLimit: 20, ulimits: [{ name: 'nofile', soft: 10, hard: 20 }] });
    assert.deepEqual(s.linux?.resources?.memory, { limit: 100, swap: 200 });
    assert.deepEqual(s.linux?.resources?.cpu, { shares: 512, period: 100000, quota: 150000 });
    assert.deepEqual(s.linux?.resources?.pids, { limit: 20 });
    assert.deepEqual(s.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }]);
    assert.deepEqual(spec({ memory: 100, memorySwap: -1 }).linux?.resources?.memory, { limit: 100, swap: -1 });
  });

  test('binds and tmpfs mounts, read-only root, host network', () => {
    const s = spec({ readOnly: true, binds: [{ source: '/srv/data', destination: '/data', readOnly: true }], tmpfs: [{ destination: '/run', options: ['size=1m'] }], network: { mode: 'host' } });
    assert.equal(s.root?.readonly, true);
    assert.deepEqual(s.mounts?.find((m) => m.destination === '/data'), { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rprivate', 'ro'] });
    assert.deepEqual(s.mounts?.find((m) => m.destination === '/run')?.options, ['nosuid', 'nodev', 'noexec', 'size=1m']);
    assert.ok(!s.linux?.namespaces?.some((n) => n.type === 'network'));
  });

  test('--privileged: every capability, no masks, no seccomp, all devices, rw /sys', () => {
    const s = spec({ privileged: true });
    assert.equal(s.process?.capabilities?.bounding?.length, 41);
    assert.equal(s.linux?.maskedPaths, undefined);
    assert.equal(s.linux?.seccomp, undefined);
    assert.deepEqual(s.linux?.resources?.devices, [{ allow: true, access: 'rwm' }]);
    assert.equal(s.mounts?.find((m) => m.destination === '/sys')?.options?.at(-1), 'rw');
  });

  test('host flags: --device nodes and their cgroup rules, --sysctl, cpuset, blkio weight, --oom-kill-disable', () => {
    const s = spec({
      devices: [{ type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
      deviceRules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }],
      sysctls: { 'net.ipv4.ip_forward': '1' },
      cpusetCpus: '0', cpusetMems: '0', blkioWeight: 300, oomKillDisable: true, memory: 100,
    });
    assert.deepEqual(s.linux?.devices?.map((d) => d.path), ['/dev/mynull']);
    assert.deepEqual(s.linux?.resources?.devices, [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }]);
    assert.deepEqual(s.linux?.sysctl, { 'net.ipv4.ip_forward': '1' });
    assert.deepEqual(s.linux?.resources?.cpu, { cpus: '0', mems: '0' });
    assert.deepEqual(s.linux?.resources?.blockIO, { weight: 300 });
    assert.deepEqual(s.linux?.resources?.memory, { limit: 100, swap: 200, disableOOMKiller: true });
    const parsed = SpecSchema.safeParse(JSON.parse(JSON.stringify(s)));
    assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
    assert.equal(spec().linux?.sysctl, undefined);
    assert.equal(spec().linux?.resources?.blockIO, undefined);
  });

  test('--ipc, --pid, --uts: the host\'s namespaces are left out, another container\'s joined by path; --ipc none has no /dev/shm', () => {
    const s = spec({ ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, pid: { mode: 'host' }, uts: { mode: 'host' } });
    assert.deepEqual(s.linux?.namespaces, [{ type: 'ipc', path: '/proc/42/ns/ipc' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'network' }]);
    assert.equal(s.hostname, undefined, 'the host\'s UTS namespace keeps its name');
    assert.equal(s.mounts?.find((m) => m.destination === '/dev/shm')?.type, 'tmpfs');
    const none = spec({ shm: { mode: 'none' }, pid: { mode: 'path', path: '/proc/42/ns/pid' } });
    assert.equal(none.mounts?.find((m) => m.destination === '/dev/shm'), undefined);
    assert.deepEqual(none.linux?.namespaces?.[0], { type: 'pid', path: '/proc/42/ns/pid' });
    assert.equal(none.hostname, 'c1');
    assert.deepEqual(spec({ ipc: { mode: 'host' }, shm: { mode: 'host' } }).mounts?.find((m) => m.destination === '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
    // another container's /dev/shm is taken by the runtime (compile.ts's shmFrom): the spec mounts nothing there
    const joined = spec({ ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, shm: { mode: 'container', nsPath: '/proc/42/ns/mnt' } });
    assert.equal(joined.mounts?.find((m) => m.destination === '/dev/shm'), undefined);
  });

  test('seccomp: unconfined, or the user\'s profile', () => {
    assert.equal(spec({ seccomp: 'unconfined' }).linux?.seccomp, undefined);
    const own = { defaultAction: 'SCMP_ACT_ALLOW' as const };
    assert.deepEqual(spec({ seccomp: own }).linux?.seccomp, own);
  });
});

describe('--cap-add and --cap-drop', () => {
  test('names with or without CAP_, any case; ALL both ways', () => {
    assert.ok(capabilitySet(['net_admin'], [], false).includes('CAP_NET_ADMIN'));
    assert.ok(!capabilitySet([], ['CAP_CHOWN'], false).includes('CAP_CHOWN'));
    assert.deepEqual(capabilitySet(['kill'], ['ALL'], false), ['CAP_KILL']);
    assert.equal(capabilitySet(['ALL'], ['mknod'], false).length, 40);
  });

  test('"all" (--privileged, --cap-add ALL) is what the engine holds: the kernel gives no more', () => {
    const held = heldCapabilities('Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n');
    assert.equal(held.length, 40);
    assert.ok(!held.includes('CAP_SYS_RESOURCE'));
    assert.deepEqual(capabilitySet([], [], true, held), held);
    assert.ok(!capabilitySet(['ALL'], [], false, held).includes('CAP_SYS_RESOURCE'));
    assert.equal(spec({ privileged: true, hostCapabilities: held }).process!.capabilities!.bounding!.length, 40);
  });

  test('an unknown capability is a usage error', () => {
    assert.throws(() => capabilitySet(['CAP_FLY'], [], false), /unknown capability: "CAP_FLY"/);
  });
});
