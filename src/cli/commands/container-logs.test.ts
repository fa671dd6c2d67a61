import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tailLines } from './container-logs.js';

test('--tail: a count, all, or a negative count (all, as Docker); anything else is an error', () => {
  assert.equal(tailLines('5'), 5);
  assert.equal(tailLines('0'), 0);
  assert.equal(tailLines('all'), undefined);
  assert.equal(tailLines('-1'), undefined);
  for (const bad of ['abc', '1.5', '', '5x']) assert.throws(() => tailLines(bad), /invalid value for "tail"/, bad);
});
