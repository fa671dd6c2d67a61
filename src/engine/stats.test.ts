import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cpuPercent, memPercent, type StatsSample, systemCpuNs } from './stats.js';

const at = (cpuNs: number, systemNs: number, more: Partial<StatsSample> = {}): StatsSample => ({
  cpuNs, systemNs, onlineCpus: 2, memUsage: 0, memLimit: 0, pids: 0, blkRead: 0, blkWrite: 0, netRx: 0, netTx: 0, ...more,
});

describe('stats: Docker\'s numbers', () => {
  test('the host\'s CPU time: the first seven fields of /proc/stat\'s cpu line, in ns', () => {
    const stat = 'cpu  100 1 50 800 20 3 6 7 0 0\ncpu0 50 0 25 400 10 1 3 3 0 0\n';
    assert.equal(systemCpuNs(stat), (100 + 1 + 50 + 800 + 20 + 3 + 6) * 1e7);
  });

  test('CPU %: the container\'s share of the host\'s time between samples, times the CPUs', () => {
    // one core busy on a two-core host for a second: 1e9 of 2e9 ns, times 2
    assert.equal(cpuPercent(at(0, 0), at(1e9, 2e9)), 100);
    assert.equal(cpuPercent(at(5e8, 1e9), at(5e8, 3e9)), 0, 'idle');
    assert.equal(cpuPercent(at(0, 5), at(10, 5)), 0, 'no host time passed: 0, not infinity');
  });

  test('MEM %: usage over limit', () => {
    assert.equal(memPercent(at(0, 0, { memUsage: 16, memLimit: 64 })), 25);
    assert.equal(memPercent(at(0, 0)), 0);
  });
});
