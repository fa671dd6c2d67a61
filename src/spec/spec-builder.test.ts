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
