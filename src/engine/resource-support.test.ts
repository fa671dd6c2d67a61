import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HostResources, supportedResources } from './resource-support.js';

const V1: HostResources = { layout: { version: 1, v1: [{ mountPoint: '/nonexistent/blkio', controllers: ['blkio'] }], unified: null }, cpus: '0-1', mems: '0' };
const V2: HostResources = { layout: { version: 2, v1: [], unified: '/nonexistent' }, cpus: '0-3', mems: '0' };
const base = { ulimits: [] };

test('--cpuset-cpus/--cpuset-mems: online CPUs and nodes only, in the kernel\'s list format', () => {
  assert.deepEqual(supportedResources({ ...base, cpusetCpus: '0-1', cpusetMems: '0' }, () => {}, V1), { ...base, cpusetCpus: '0-1', cpusetMems: '0' });
  assert.throws(() => supportedResources({ ...base, cpusetCpus: '0-9' }, () => {}, V1), /Requested CPUs are not available - requested 0-9, available: 0-1/);
  assert.throws(() => supportedResources({ ...base, cpusetMems: '1' }, () => {}, V1), /Requested memory nodes are not available/);
  assert.throws(() => supportedResources({ ...base, cpusetCpus: 'x' }, () => {}, V1), /Invalid value x for cpuset cpus/);
});

test('--blkio-weight: 10..1000; dropped with Docker\'s warning where the kernel has none; --oom-kill-disable dropped on v2', () => {
  assert.throws(() => supportedResources({ ...base, blkioWeight: 5 }, () => {}, V1), /Range of blkio weight is from 10 to 1000/);
  const warnings: string[] = [];
  const r = supportedResources({ ...base, blkioWeight: 300, oomKillDisable: true, memory: 1 << 20 }, (m) => warnings.push(m), V1);
  assert.equal(r.blkioWeight, undefined);
  assert.equal(r.oomKillDisable, true, 'v1 has memory.oom_control');
  assert.deepEqual(warnings, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
  const v2 = supportedResources({ ...base, oomKillDisable: true }, (m) => warnings.push(m), V2);
  assert.equal(v2.oomKillDisable, undefined);
  assert.match(warnings.at(-1)!, /does not support OomKillDisable/);
});
