import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { updateRequestOf } from './update-request.js';

/** what the docker CLI sends for `docker update --memory 64m --pids-limit -1 --restart always` */
const CLI_BODY = {
  BlkioWeight: 0, BlkioWeightDevice: null, BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null,
  CpuShares: 0, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: null, DeviceCgroupRules: null,
  DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0, Memory: 64 << 20, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, NanoCpus: 0,
  OomKillDisable: null, PidsLimit: -1, Ulimits: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
  RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
};

describe('POST /containers/{id}/update body', () => {
  test("the docker CLI's body: zero values are not given; PidsLimit -1 lifts the limit", () => {
    assert.deepEqual(updateRequestOf(CLI_BODY, '1.43'), { memory: 64 << 20, pidsLimit: -1, restart: { name: 'always', maximumRetryCount: 0 } });
    assert.deepEqual(updateRequestOf({ ...CLI_BODY, RestartPolicy: { Name: '', MaximumRetryCount: 0 } }, '1.39'), { memory: 64 << 20 });
    assert.deepEqual(updateRequestOf({ PidsLimit: 0 }, '1.41'), { pidsLimit: -1 });
    assert.deepEqual(updateRequestOf(undefined, '1.41'), {});
  });

  test('every field it carries out', () => {
    assert.deepEqual(
      updateRequestOf({ Memory: 1, MemorySwap: -1, MemoryReservation: 2, NanoCpus: 3, CpuShares: 4, CpuPeriod: 5, CpuQuota: 6, BlkioWeight: 7, CpusetCpus: '0', CpusetMems: '0', PidsLimit: 8 }, '1.43'),
      { memory: 1, memorySwap: -1, memoryReservation: 2, nanoCpus: 3, cpuShares: 4, cpuPeriod: 5, cpuQuota: 6, blkioWeight: 7, cpusetCpus: '0', cpusetMems: '0', pidsLimit: 8 },
    );
  });

  test('400s: a wrong type, a restart policy Docker refuses, what moby-dick cannot do', () => {
    assert.throws(() => updateRequestOf({ Memory: '64m' }, '1.43'), { status: 400, message: 'invalid Memory: expected an integer, got string' });
    assert.throws(() => updateRequestOf({ RestartPolicy: { Name: 'sometimes' } }, '1.43'), { status: 400, message: /unknown policy 'sometimes'/ });
    assert.throws(() => updateRequestOf({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }, '1.43'), { status: 400, message: /can only be used with 'on-failure'/ });
    assert.throws(() => updateRequestOf({ CpuRealtimeRuntime: 1000 }, '1.43'), { status: 400, message: /^CpuRealtimeRuntime is not supported by moby-dick/ });
    assert.throws(() => updateRequestOf({ BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }] }, '1.43'), { status: 400, message: /^BlkioDeviceReadBps is not supported/ });
    assert.throws(() => updateRequestOf([], '1.43'), { status: 400 });
  });
});
