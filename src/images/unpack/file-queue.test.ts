import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { writerThreads } from './file-queue.js';

describe('file queue: writer threads', () => {
  test('$MOBY_DICK_UNPACK_THREADS from 1 to 8 is taken as it is', () => {
    assert.deepEqual(['1', '2', '8'].map(writerThreads), [1, 2, 8]);
  });

  test('unset, empty or out of range: two where the machine has two cores, else one', () => {
    const machine = Math.min(2, availableParallelism());
    for (const v of [undefined, '', '0', '9', '1.5', 'two', '-1']) assert.equal(writerThreads(v), machine, String(v));
  });
});
