import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blkioToIoWeight, completeUpdate, DEFAULT_ALLOWED_DEVICES, deviceRules, mergeResources, orderMemoryWrites, planV1, planV2, sharesToWeight, v2Controllers } from './resources.js';

const files = (writes: { controller: string; file: string; value: string }[]) => writes.map((w) => `${w.controller}/${w.file}=${w.value}`);

describe('planV1', () => {
  test('memory, cpu, cpuset, pids, blkio as v1 files, in a safe order', () => {
    const w = planV1({
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 10, disableOOMKiller: true },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 20 },
      blockIO: { weight: 300, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] },
    });
    assert.deepEqual(files(w), [
      'memory/memory.limit_in_bytes=67108864',
      'memory/memory.soft_limit_in_bytes=33554432',
      'memory/memory.memsw.limit_in_bytes=134217728',
      'memory/memory.swappiness=10',
      'memory/memory.oom_control=1',
      'cpu/cpu.shares=512',
      'cpu/cpu.cfs_period_us=100000',
      'cpu/cpu.cfs_quota_us=50000',
      'cpuset/cpuset.cpus=0',
      'cpuset/cpuset.mems=0',
      'pids/pids.max=20',
      'blkio/blkio.weight=300',
      'blkio/blkio.throttle.read_bps_device=8:0 1000',
    ]);
  });

  test('device rules become devices.allow and devices.deny lines', () => {
    const w = planV1({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: true, type: 'c', major: 136, access: 'rwm' }] });
    assert.deepEqual(files(w), ['devices/devices.deny=a', 'devices/devices.allow=c 1:3 rw', 'devices/devices.allow=c 136:* rwm']);
  });

  test('a negative pids limit is "max"; zeros are "not set", as runc takes them; unified needs v2', () => {
    assert.deepEqual(files(planV1({ pids: { limit: -1 } })), ['pids/pids.max=max']);
    assert.deepEqual(files(planV1({ pids: { limit: 0 }, blockIO: { weight: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, memory: { limit: 0, swap: 0 } })), []);
    assert.throws(() => planV1({ unified: { 'memory.high': '1' } }), /linux\.resources\.unified: needs cgroup v2/);
  });
});

describe('planV2', () => {
  test('converts to v2 files and units', () => {
    const w = planV2({
      memory: { limit: 100, swap: 300 },
      cpu: { shares: 1024, quota: 20000, period: 100000, cpus: '0-1' },
      pids: { limit: 5 },
      blockIO: { weight: 500, throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
      unified: { 'memory.high': '90' },
    });
    assert.deepEqual(files(w), [
      'unified/memory.max=100',
      'unified/memory.swap.max=200',
      `unified/cpu.weight=${sharesToWeight(1024)}`,
      'unified/cpu.max=20000 100000',
      'unified/cpuset.cpus=0-1',
      'unified/pids.max=5',
      `unified/io.weight=default ${blkioToIoWeight(500)}`,
      'unified/io.max=8:0 wiops=10',
      'unified/hugetlb.2MB.max=0',
      'unified/memory.high=90',
    ]);
    assert.deepEqual(v2Controllers(w), ['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'pids']);
  });

  test('the share and weight conversions of runc and crun', () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(blkioToIoWeight(10), 1);
    assert.equal(blkioToIoWeight(1000), 10000);
  });

  test('what v2 cannot do is refused with the field', () => {
    assert.throws(() => planV2({ memory: { disableOOMKiller: true } }), /memory\.disableOOMKiller/);
    assert.deepEqual(planV2({ devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] }), [], 'devices are a program, not files');
    assert.throws(() => planV2({ unified: { '../x': '1' } }), /not a cgroup file name/);
  });
});

describe('deviceRules', () => {
  test('the spec\'s rules, runc\'s defaults, then the spec\'s devices', () => {
    const r = deviceRules({ devices: [{ allow: false, access: 'rwm' }], pids: { limit: 3 } }, [{ type: 'c', major: 10, minor: 229 }]);
    assert.equal(r.pids?.limit, 3);
    assert.equal(r.devices?.length, 1 + DEFAULT_ALLOWED_DEVICES.length + 1);
    assert.deepEqual(r.devices?.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
  });
  test('a device the spec\'s rules allow already keeps their access (--device HOST:CONTAINER:r)', () => {
    const readOnly = { allow: true, type: 'c' as const, major: 1, minor: 3, access: 'r' };
    const r = deviceRules({ devices: [{ allow: false, access: 'rwm' }, readOnly] }, [{ type: 'c', major: 1, minor: 3 }, { type: 'c', major: 10, minor: 200 }]);
    assert.equal(r.devices?.filter((d) => d.major === 1 && d.minor === 3 && d.access === 'rwm').length, 1, 'only the default rule of /dev/null');
    assert.deepEqual(r.devices?.slice(0, 2), [{ allow: false, access: 'rwm' }, readOnly]);
    assert.deepEqual(r.devices?.at(-1), { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' });
  });
});

describe('orderMemoryWrites (v1: memsw never below the memory limit)', () => {
  const both = (limit: number, swap: number) => planV1({ memory: { limit, swap }, pids: { limit: 5 } });
  test('raising both: memsw first, in the memory limit\'s place', () => {
    assert.deepEqual(files(orderMemoryWrites(both(256, 256), 128n)), ['memory/memory.memsw.limit_in_bytes=256', 'memory/memory.limit_in_bytes=256', 'pids/pids.max=5']);
  });
  test('lowering both, or a new cgroup: the memory limit first', () => {
    assert.deepEqual(files(orderMemoryWrites(both(64, 64), 128n)), ['memory/memory.limit_in_bytes=64', 'memory/memory.memsw.limit_in_bytes=64', 'pids/pids.max=5']);
    assert.deepEqual(files(orderMemoryWrites(both(64, 64), undefined)), files(both(64, 64)));
  });
  test('swap unlimited (-1): memsw first whatever the memory limit', () => {
    assert.equal(files(orderMemoryWrites(both(64, -1), 128n))[0], 'memory/memory.memsw.limit_in_bytes=-1');
  });
});

describe("an update's resources against the container's", () => {
  const current = { memory: { limit: 64 << 20, swap: 128 << 20 }, cpu: { shares: 100, quota: 20000, period: 100000 }, pids: { limit: 10 } };

  test('completed where one v2 file holds two values: the swap alone keeps the memory limit, the period alone the quota', () => {
    assert.deepEqual(completeUpdate(current, { memory: { swap: 256 << 20 } }), { memory: { swap: 256 << 20, limit: 64 << 20 } });
    assert.deepEqual(files(planV2(completeUpdate(current, { memory: { swap: 256 << 20 } }))), [`unified/memory.max=${64 << 20}`, `unified/memory.swap.max=${192 << 20}`]);
    assert.deepEqual(files(planV2(completeUpdate(current, { cpu: { period: 50000 } }))), ['unified/cpu.max=20000 50000']);
    assert.deepEqual(completeUpdate(current, { cpu: { quota: 1000, period: 2000 }, pids: { limit: 5 } }), { cpu: { quota: 1000, period: 2000 }, pids: { limit: 5 } });
    assert.deepEqual(completeUpdate(undefined, { memory: { swap: 1 } }), { memory: { swap: 1 } });
  });

  test("merged into the container's for the next update: values replaced, device rules added", () => {
    assert.deepEqual(mergeResources({ ...current, devices: [{ allow: false, access: 'rwm' }] }, { memory: { limit: 32 << 20 }, cpu: { cpus: '0' }, devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] }), {
      memory: { limit: 32 << 20, swap: 128 << 20 },
      cpu: { shares: 100, quota: 20000, period: 100000, cpus: '0' },
      pids: { limit: 10 },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }],
    });
  });
});
