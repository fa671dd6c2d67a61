/** launchHelper with a stand-in for the addon: the helper's argv, fds and plan, and a failed spawn; no root, no addon. */
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { FilePipes } from '../../test/helpers/file-pipes.js';
import { MobyDickError } from '../errors.js';
import { launchHelper, type LaunchSyscalls, reapHelper } from './helper-launch.js';
import { helperPath } from './helper-path.js';

describe('launching the helper', () => {
  const pipes = new FilePipes();
  after(() => pipes.remove());

  test('sealed, stdio inherited: its argv, fds 0-4, no environment, the plan on fd 3; reaped once', () => {
    const spawned: { file: string; argv: readonly string[]; fds: readonly number[]; clearEnv?: boolean }[] = [];
    let waits = 0;
    const sys: LaunchSyscalls = {
      pipe: pipes.pipe,
      spawn(file, argv, fds, clearEnv) {
        spawned.push({ file, argv, fds, clearEnv });
        return 777;
      },
      wait(pid) {
        assert.equal(pid, 777);
        waits++;
        return [0, -1];
      },
    };
    const h = launchHelper(Buffer.from('the plan'), { stdio: 'inherit', interactive: true, sealed: true }, sys);
    assert.equal(h.pid, 777);
    const [plan, status] = pipes.made;
    assert.deepEqual(spawned, [{ file: helperPath(), argv: [helperPath(), String(process.pid), 'seal'], fds: [0, 1, 2, plan!.read, status!.write], clearEnv: true }]);
    assert.equal(h.fds.control, plan!.write);
    assert.equal(h.fds.status, status!.read);
    assert.equal(pipes.written(plan!.write), 'the plan');
    // the child's ends are closed; ours stay open for the caller
    assert.deepEqual(pipes.open().sort(), [plan!.write, status!.read].sort());
    assert.deepEqual(reapHelper(h), [0, -1]);
    assert.deepEqual(reapHelper(h), [0, -1]);
    assert.equal(waits, 1);
    closeSync(h.fds.control);
    closeSync(h.fds.status);
  });

  test('--preserve-fds passes fds 3.. on after the helper\'s own; not sealed: no "seal"', () => {
    let got: readonly number[] = [];
    let argv: readonly string[] = [];
    const sys: LaunchSyscalls = { pipe: pipes.pipe, spawn: (_f, a, fds) => ((argv = a), (got = fds), 1), wait: () => [0, -1] };
    const h = launchHelper(Buffer.alloc(0), { stdio: 'null', interactive: false, sealed: false, preserveFds: 2 }, sys);
    closeSync(h.fds.control);
    closeSync(h.fds.status);
    assert.deepEqual(got.slice(0, 3), [-1, -1, -1]);
    assert.deepEqual(got.slice(5), [3, 4]);
    assert.deepEqual(argv, [helperPath(), String(process.pid)]);
  });

  test('a spawn that fails: a HELPER error naming the helper, and every pipe end closed', () => {
    const first = pipes.made.length;
    const sys: LaunchSyscalls = {
      pipe: pipes.pipe,
      spawn() {
        throw new Error('posix_spawn: EACCES');
      },
      wait: () => [0, -1],
    };
    assert.throws(
      () => launchHelper(Buffer.from('x'), { stdio: 'inherit', interactive: true, sealed: true }, sys),
      (e: unknown) => e instanceof MobyDickError && e.code === 'HELPER' && e.message === 'cannot start the helper: posix_spawn: EACCES' && e.details.subject === helperPath(),
    );
    assert.equal(pipes.made.length, first + 2);
    assert.deepEqual(pipes.open().filter((fd) => pipes.made.slice(first).some((m) => m.read === fd || m.write === fd)), []);
  });
});
