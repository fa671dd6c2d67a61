import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputRing, type WorkerProgress } from './input-ring.js';

/** a worker whose progress the test sets; waitFor records what it was asked and completes it */
function fakeWorker(): WorkerProgress & { lastId: number; doneId: number; waited: number[] } {
  return {
    lastId: 0,
    doneId: 0,
    waited: [],
    waitFor(id: number) {
      this.waited.push(id);
      this.doneId = Math.max(this.doneId, id);
    },
  };
}

describe('input ring', () => {
  test('a buffer comes back only once the worker is past what was queued while it was filled, and never for the chunk right after it', () => {
    const w = fakeWorker();
    const ring = new InputRing(w, 16, 4);
    const a = ring.take();
    w.lastId = 5; // chunk a queued operations 1..5
    ring.filled(a);
    w.doneId = 5;
    const b = ring.take();
    assert.notEqual(b, a, 'the newest chunk is kept for the next one');
    w.lastId = 9;
    ring.filled(b);
    // a is done (5 <= 5): reused; b is not (9 > 5)
    const c = ring.take();
    assert.equal(c, a);
    ring.filled(c);
    const d = ring.take();
    assert.notEqual(d, b, 'b still holds data the worker has not written');
    assert.equal(ring.buffers, 3);
    assert.deepEqual(w.waited, []);
  });

  test('with every buffer held it waits for the worker to be done with the oldest, then reuses it', () => {
    const w = fakeWorker();
    const ring = new InputRing(w, 16, 3);
    const bufs: Buffer[] = [];
    for (let i = 1; i <= 3; i++) {
      const x = ring.take();
      bufs.push(x);
      w.lastId = i * 10;
      ring.filled(x);
    }
    assert.equal(new Set(bufs).size, 3);
    const next = ring.take();
    assert.deepEqual(w.waited, [10]);
    assert.equal(next, bufs[0]);
    assert.equal(ring.buffers, 3);
  });

  test('a buffer given back unused is taken again first', () => {
    const w = fakeWorker();
    const ring = new InputRing(w, 16, 2);
    const a = ring.take();
    ring.giveBack(a);
    assert.equal(ring.take(), a);
    assert.equal(ring.buffers, 1);
    assert.throws(() => new InputRing(w, 16, 1), RangeError);
  });

  test('buffers are their own memory, at offset 0 (the tar parser aligns on it)', () => {
    const ring = new InputRing(fakeWorker());
    const a = ring.take();
    assert.equal(a.length, 1 << 20);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, 1 << 20);
  });
});
