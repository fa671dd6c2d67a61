import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCpuList } from './cpu-list.js';

test('cpuset lists: single CPUs, ranges, both; anything else is not one', () => {
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.deepEqual(parseCpuList('0-2,4'), [0, 1, 2, 4]);
  assert.deepEqual(parseCpuList('3,1-2'), [1, 2, 3]);
  for (const bad of ['', 'a', '1-', '-1', '2-1', '0,,1', '0 1', '1.5']) assert.equal(parseCpuList(bad), null, bad);
});
