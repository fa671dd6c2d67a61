import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { orderMemoryWrites, planV1, planV2 } from '../cgroups/resources.js';
import { checkUpdate, mergeUpdate } from './update-limits.js';

const HOST = { cpus: '0-1', mems: '0', cpuCount: 2, blkioWeight: true };
const MIB = 1024 * 1024;
const ID = 'c'.repeat(64);

describe("update's checks (Docker's words)", () => {
  const refused = (req: Parameters<typeof checkUpdate>[0], message: string, host = HOST) => assert.throws(() => checkUpdate(req, host), { message });

  test('memory, swap and reservation', () => {
    refused({ memory: 4 * MIB }, 'Minimum memory limit allowed is 6MB');
    refused({ memory: 64 * MIB, memorySwap: 32 * MIB }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
    refused({ memoryReservation: MIB }, 'Minimum memory reservation allowed is 6MB');
    refused({ memory: 16 * MIB, memoryReservation: 32 * MIB }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
    assert.deepEqual(checkUpdate({ memory: 64 * MIB, memorySwap: -1 }, HOST), { request: { memory: 64 * MIB, memorySwap: -1 }, warnings: [] });
  });

  test('cpus, period, quota, cpuset', () => {
    refused({ nanoCpus: 5e8, cpuPeriod: 50000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
    refused({ nanoCpus: 5e8, cpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    refused({ nanoCpus: 3e9 }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    refused({ cpuPeriod: 999 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    refused({ cpuPeriod: 1_000_001 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    refused({ cpuQuota: 10 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    refused({ cpusetCpus: '0-x' }, 'Invalid value 0-x for cpuset cpus: invalid format: 0-x');
    refused({ cpusetCpus: '1,3' }, 'Requested CPUs are not available - requested 1,3, available: 0-1');
    refused({ cpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0');
    assert.deepEqual(checkUpdate({ cpusetCpus: '0,1', cpuQuota: -1 }, HOST).warnings, []);
  });

  test('blkio weight: its range, or a warning and dropped where the host has none', () => {
    refused({ blkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
    assert.deepEqual(checkUpdate({ blkioWeight: 5, pidsLimit: 9 }, { ...HOST, blkioWeight: false }), {
      request: { pidsLimit: 9 },
      warnings: ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.'],
    });
  });
});

describe('update merged into the record', () => {
  const conflict = (current: Parameters<typeof mergeUpdate>[1], req: Parameters<typeof mergeUpdate>[3], message: string, autoRemove = false) =>
    assert.throws(() => mergeUpdate(ID, current, autoRemove, req), { message: `Cannot update container ${ID}: ${message}` });

  test("memory above the memory+swap limit in force is Docker's conflict; with --memory-swap it is not", () => {
    conflict({ memory: 32 * MIB }, { memory: 80 * MIB }, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    conflict({ memory: 32 * MIB, memorySwap: 40 * MIB }, { memory: 48 * MIB }, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    const m = mergeUpdate(ID, { memory: 32 * MIB }, false, { memory: 80 * MIB, memorySwap: 160 * MIB });
    assert.deepEqual([m.limits, m.resources], [{ memory: 80 * MIB, memorySwap: 160 * MIB }, { memory: { limit: 80 * MIB, swap: 160 * MIB } }]);
  });

  test('memory on a container without a limit gets the default swap (twice); unlimited swap stays unlimited; swap alone keeps the memory', () => {
    assert.deepEqual(mergeUpdate(ID, {}, false, { memory: 64 * MIB }).resources, { memory: { limit: 64 * MIB, swap: 128 * MIB } });
    assert.deepEqual(mergeUpdate(ID, { memory: 32 * MIB, memorySwap: -1 }, false, { memory: 64 * MIB }).limits, { memory: 64 * MIB, memorySwap: -1 });
    assert.deepEqual(mergeUpdate(ID, { memory: 32 * MIB }, false, { memorySwap: 256 * MIB }).resources, { memory: { limit: 32 * MIB, swap: 256 * MIB } });
    assert.throws(() => mergeUpdate(ID, {}, false, { memorySwap: 256 * MIB }), { message: 'You should always set the Memory limit when using Memoryswap limit, see usage' });
    assert.throws(() => mergeUpdate(ID, { memory: 64 * MIB }, false, { memorySwap: 32 * MIB }), { message: 'Minimum memoryswap limit should be larger than memory limit, see usage' });
    assert.throws(() => mergeUpdate(ID, { memoryReservation: 64 * MIB }, false, { memory: 32 * MIB }), { message: 'Minimum memory limit can not be less than memory reservation limit, see usage' });
  });

  test('--cpus and --cpu-period/--cpu-quota exclude each other across updates', () => {
    conflict({ cpuPeriod: 50000 }, { nanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
    conflict({ cpuQuota: 50000 }, { nanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
    conflict({ nanoCpus: 1e9 }, { cpuPeriod: 50000 }, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
    conflict({ nanoCpus: 1e9 }, { cpuQuota: 50000 }, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
    assert.deepEqual(mergeUpdate(ID, { nanoCpus: 1e9 }, false, { nanoCpus: 1.5e9, cpuShares: 512 }).resources, { cpu: { shares: 512, period: 100000, quota: 150000 } });
    // period and quota go together (v2's cpu.max holds both): the one not given from the record, or the defaults
    assert.deepEqual(mergeUpdate(ID, { cpuQuota: 20000 }, false, { cpuPeriod: 50000 }).resources, { cpu: { period: 50000, quota: 20000 } });
    assert.deepEqual(mergeUpdate(ID, {}, false, { cpuPeriod: 50000 }).resources, { cpu: { period: 50000, quota: -1 } });
  });

  test('pids: 0 or less lifts the limit; the restart policy, refused with --rm', () => {
    const m = mergeUpdate(ID, { pidsLimit: 10 }, false, { pidsLimit: -1, restart: { name: 'always', maximumRetryCount: 0 } });
    assert.deepEqual([m.limits, m.resources, m.restart], [{}, { pids: { limit: -1 } }, { name: 'always', maximumRetryCount: 0 }]);
    conflict({}, { restart: { name: 'always', maximumRetryCount: 0 } }, 'Restart policy cannot be updated because AutoRemove is enabled for the container', true);
    assert.deepEqual(mergeUpdate(ID, {}, true, { restart: { name: 'no', maximumRetryCount: 0 } }).restart, { name: 'no', maximumRetryCount: 0 });
  });

  test('what is not given stays as it was, and is not written', () => {
    const m = mergeUpdate(ID, { memory: 64 * MIB, cpuShares: 100, cpusetCpus: '0' }, false, { blkioWeight: 500, cpusetMems: '0' });
    assert.deepEqual(m.limits, { memory: 64 * MIB, cpuShares: 100, cpusetCpus: '0', blkioWeight: 500, cpusetMems: '0' });
    assert.deepEqual(m.resources, { cpu: { mems: '0' }, blockIO: { weight: 500 } });
  });
});

describe("what an update writes to a running container's cgroups", () => {
  const files = (writes: { file: string; value: string }[]) => writes.map((w) => `${w.file}=${w.value}`);
  const { resources } = mergeUpdate(ID, { memory: 32 * MIB, nanoCpus: 1e9 }, false, { memory: 48 * MIB, memoryReservation: 16 * MIB, nanoCpus: 5e8, pidsLimit: -1, cpusetCpus: '1', blkioWeight: 500 });

  test('v1: the memory+swap limit in force kept, written first when the memory limit rises (the kernel keeps memsw >= memory)', () => {
    // raising the memory limit (32m -> 48m) with memsw at 64m: memsw is written first, as runc does
    assert.deepEqual(files(orderMemoryWrites(planV1(resources), BigInt(32 * MIB))), [
      `memory.memsw.limit_in_bytes=${64 * MIB}`,
      `memory.limit_in_bytes=${48 * MIB}`,
      `memory.soft_limit_in_bytes=${16 * MIB}`,
      'cpu.cfs_period_us=100000',
      'cpu.cfs_quota_us=50000',
      'cpuset.cpus=1',
      'pids.max=max',
      'blkio.weight=500',
    ]);
  });

  test('v2: memory.max with swap alone in memory.swap.max, cpu.max in one write, io.weight', () => {
    assert.deepEqual(files(planV2(resources)), [
      `memory.max=${48 * MIB}`,
      `memory.low=${16 * MIB}`,
      `memory.swap.max=${16 * MIB}`,
      'cpu.max=50000 100000',
      'cpuset.cpus=1',
      'pids.max=max',
      'io.weight=default 4950',
    ]);
    const period = mergeUpdate(ID, { cpuQuota: 20000 }, false, { cpuPeriod: 40000 }).resources;
    assert.deepEqual(files(planV2(period)), ['cpu.max=20000 40000']);
  });
});
