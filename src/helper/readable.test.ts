import assert from 'node:assert/strict';
import { closeSync, readSync, writeSync } from 'node:fs';
import { describe, test } from 'node:test';
import { nativeAddon } from './native-addon.js';
import { readable, readPolledUntilEnd } from './readable.js';

describe('readable(): a wait for an fd in the event loop (the addon\'s whenReadable)', () => {
  test('false after the timeout with nothing to read; true once bytes come, and at the end', async () => {
    const [r, w] = nativeAddon().pipe();
    try {
      const t0 = performance.now();
      assert.equal(await readable(r, 30), false);
      assert.ok(performance.now() - t0 >= 25, 'waited for the timeout');
      setTimeout(() => writeSync(w, 'x'), 20);
      assert.equal(await readable(r), true);
      assert.equal(readSync(r, Buffer.alloc(4)), 1);
      closeSync(w);
      assert.equal(await readable(r, 5000), true, 'the end is readable');
      assert.equal(readSync(r, Buffer.alloc(4)), 0);
    } finally {
      closeSync(r);
    }
  });

  test('the event loop runs while it waits: timers fire, and several fds are waited for at once', async () => {
    const a = nativeAddon().pipe();
    const b = nativeAddon().pipe();
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const order: string[] = [];
      const waits = [readable(a[0]).then(() => order.push('a')), readable(b[0]).then(() => order.push('b'))];
      setTimeout(() => writeSync(b[1], 'y'), 30);
      setTimeout(() => writeSync(a[1], 'x'), 60);
      await Promise.all(waits);
      clearInterval(timer);
      assert.deepEqual(order, ['b', 'a']);
      assert.ok(ticks >= 3, `timers ran meanwhile (${ticks})`);
    } finally {
      for (const fd of [...a, ...b]) closeSync(fd);
    }
  });

  test('a bad fd is an error with its errno name', () => {
    assert.throws(() => nativeAddon().whenReadable(-1, 0, () => {}), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
  });
});

describe('readPolledUntilEnd(): a pipe read to its end in the event loop', () => {
  test('more readers than the thread pool has threads wait at once; each gets its bytes and its end, and closes its fd', { timeout: 10_000 }, async () => {
    const pipes = Array.from({ length: 8 }, () => nativeAddon().pipe());
    const got = pipes.map(() => [] as string[]);
    const reading = pipes.map(([r], i) => readPolledUntilEnd(r, (chunk) => got[i]!.push(chunk.toString())));
    // the last one first: with the others all waiting, a read in the thread pool would not get to it
    for (const i of [7, 6, 5, 4, 3, 2, 1, 0]) {
      writeSync(pipes[i]![1], `p${i}`);
      await new Promise((res) => setTimeout(res, 5));
      closeSync(pipes[i]![1]);
      await reading[i];
      assert.deepEqual(got[i], [`p${i}`]);
    }
    for (const [r] of pipes) assert.throws(() => closeSync(r), /EBADF/, 'closed at its end');
  });
});
