import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awaitExec, awaitStartByte, untilReady } from './exec-fifo.js';

/** a scripted fifo and process: READS are the successive read results, ALIVE the successive looks */
async function script(reads: boolean[], alive: boolean[], limit = 100) {
  const log: string[] = [];
  const ok = await awaitStartByte({
    readByte: () => {
      const r = reads.shift() ?? false;
      log.push(r ? 'byte' : 'none');
      return r;
    },
    alive: () => {
      const a = alive.shift() ?? false;
      log.push(a ? 'alive' : 'gone');
      return a;
    },
    pause: () => void log.push('pause'),
    limit,
  });
  return { ok, log };
}

describe('exec fifo: start waits for the init\'s byte', () => {
  test('the byte at once', async () => {
    assert.deepEqual(await script([true], []), { ok: true, log: ['byte'] });
  });

  test('the byte after a few reads while the init lives', async () => {
    assert.deepEqual((await script([false, false, true], [true, true])).log, ['none', 'alive', 'pause', 'none', 'alive', 'pause', 'byte']);
  });

  test('the init wrote, ran and ended between a read and the look at it: started, and the byte read once', async () => {
    const r = await script([false, true, false], [false]);
    assert.equal(r.ok, true);
    assert.deepEqual(r.log, ['none', 'gone', 'byte']);
  });

  test('the init ended without writing: not started', async () => {
    assert.deepEqual(await script([false, false], [true, false]), { ok: false, log: ['none', 'alive', 'pause', 'none', 'gone', 'none'] });
  });

  test('an init that lives and never writes: not started after the limit', async () => {
    const r = await script([], Array(10).fill(true), 3);
    assert.equal(r.ok, false);
    assert.equal(r.log.filter((e) => e === 'pause').length, 4);
  });
});

describe('exec fifo: start reads on until exec closes the init\'s end', () => {
  const reads = async (chunks: (Buffer | 'none' | 'end')[], limit = 100) => {
    let pauses = 0;
    const records = await awaitExec({ read: () => chunks.shift() ?? 'end', pause: () => void pauses++, limit });
    return { records, pauses };
  };

  test('the end at once: the command runs, nothing reported', async () => {
    assert.deepEqual(await reads(['end']), { records: [], pauses: 0 });
  });

  test('an error record, split across reads, then the end', async () => {
    const { records, pauses } = await reads(['none', Buffer.from('error\texec\t1\ttr'), 'none', Buffer.from('ue\0'), 'end']);
    assert.deepEqual(records, [{ kind: 'error', step: 'exec', errno: 1, detail: 'true' }]);
    assert.equal(pauses, 2);
  });

  test('an init that never gets to exec: given up after the limit', async () => {
    assert.deepEqual(await reads(Array(10).fill('none'), 3), { records: [], pauses: 3 });
  });
});

describe('exec -d: what came behind "ready" reaches the exec report', () => {
  const ready = async (chunks: string[]) => {
    const seen: string[] = [];
    const outcome = await untilReady(
      chunks.map((c) => Buffer.from(c)),
      (r) => seen.push(r.kind),
    );
    return { outcome, seen };
  };

  test('"ready" and the exec error in one read: the error is carried, not dropped', async () => {
    const { outcome, seen } = await ready(['pid\t7\0ready\0error\texec\t8\t/tmp/x\0']);
    assert.deepEqual(seen, ['pid', 'ready']);
    assert.equal(outcome.ready, true);
    if (!outcome.ready) return;
    const records = await awaitExec({ read: () => 'end', pause: () => {}, limit: 0, carried: outcome.carried });
    assert.deepEqual(records, [{ kind: 'error', step: 'exec', errno: 8, detail: '/tmp/x' }]);
  });

  test('a record cut after "ready" is finished by the next reader', async () => {
    const { outcome } = await ready(['ready\0error\texe']);
    assert.equal(outcome.ready, true);
    if (!outcome.ready) return;
    const reads: (Buffer | 'end')[] = [Buffer.from('c\t8\tx\0'), 'end'];
    const records = await awaitExec({ read: () => reads.shift() ?? 'end', pause: () => {}, limit: 0, carried: outcome.carried });
    assert.deepEqual(records, [{ kind: 'error', step: 'exec', errno: 8, detail: 'x' }]);
  });

  test('an error before "ready": not ready, the records for the caller to interpret', async () => {
    const { outcome } = await ready(['pid\t7\0error\tmount\t2\t/a\0', 'ready\0']);
    assert.deepEqual(outcome, { ready: false, records: [{ kind: 'pid', pid: 7 }, { kind: 'error', step: 'mount', errno: 2, detail: '/a' }] });
  });
});
