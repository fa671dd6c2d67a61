import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourcesFromFlags } from './cgroup-commands.js';

test("update's flags as runc's: linux.resources, sizes with units, -1 unlimited (the swap too, with the memory)", () => {
  assert.deepEqual(
    resourcesFromFlags({
      memory: '64m', 'memory-reservation': '32M', 'memory-swap': '128MiB', 'cpu-quota': '-1', 'cpu-period': '50000', 'cpu-share': '512',
      'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'pids-limit': '-1', 'blkio-weight': '300',
    }),
    {
      blockIO: { weight: 300 },
      cpu: { period: 50000, quota: -1, shares: 512, cpus: '0-1', mems: '0' },
      memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 },
      pids: { limit: -1 },
    },
  );
  assert.deepEqual(resourcesFromFlags({ memory: '-1' }), { memory: { limit: -1, swap: -1 } });
  assert.deepEqual(resourcesFromFlags({}), {});
  assert.throws(() => resourcesFromFlags({ memory: 'lots' }), /invalid value for memory: invalid size: "lots"/);
  assert.throws(() => resourcesFromFlags({ 'cpu-period': '-5' }), /invalid value for cpu-period: not an unsigned integer: "-5"/);
});
