import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SyncPoints } from './sync-points.js';

const resumed = (log: string[]) => (m: Buffer) => log.push(m.toString().split('\0')[1]!);

describe('SyncPoints: the engine\'s work at the child\'s sync points', () => {
  test('synchronous work: the child is resumed at once; a sync before the pid waits for it', () => {
    const log: string[] = [];
    const s = new SyncPoints((name, pid) => void log.push(`work ${name} ${pid}`), resumed(log));
    s.gotSync('cgroup');
    assert.deepEqual(log, []);
    s.gotPid(42);
    s.gotSync('create-hooks');
    assert.deepEqual(log, ['work cgroup 42', 'cgroup', 'work create-hooks 42', 'create-hooks']);
  });

  test('synchronous work that throws: thrown to the caller, the child not resumed', () => {
    const log: string[] = [];
    const s = new SyncPoints(() => {
      throw new Error('refused');
    }, resumed(log));
    s.gotPid(7);
    assert.throws(() => s.gotSync('cgroup'), /refused/);
    assert.deepEqual(log, []);
  });

  test('asynchronous work: resumed only once it has settled; the syncs after it run after it, in order', async () => {
    const log: string[] = [];
    let finish: () => void = () => {};
    const s = new SyncPoints((name) => {
      log.push(`work ${name}`);
      if (name === 'cgroup') return new Promise<void>((r) => (finish = r));
    }, resumed(log));
    s.gotPid(9);
    s.gotSync('cgroup');
    s.gotSync('create-hooks');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['work cgroup'], 'neither resumed nor the next sync run while the work is under way');
    finish();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['work cgroup', 'cgroup', 'work create-hooks', 'create-hooks']);
  });

  test('asynchronous work that fails: failure rejects with its error, the child is not resumed, later syncs do not run', async () => {
    const log: string[] = [];
    const s = new SyncPoints(async (name) => {
      log.push(`work ${name}`);
      if (name === 'cgroup') throw new Error('cgroup.procs: ENOSPC');
    }, resumed(log));
    s.gotPid(3);
    s.gotSync('cgroup');
    s.gotSync('create-hooks');
    await assert.rejects(s.failure, /ENOSPC/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['work cgroup']);
  });
});
