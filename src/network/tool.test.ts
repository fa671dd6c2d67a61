/** spawnCapturing and runTool with a stand-in for the addon: no root, no addon, no program run. */
import assert from 'node:assert/strict';
import { writeSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { FilePipes } from '../../test/helpers/file-pipes.js';
import { MobyDickError } from '../errors.js';
import { runTool, spawnCapturing, type ToolSyscalls } from './tool.js';

describe('running a network tool', () => {
  const pipes = new FilePipes();
  after(() => pipes.remove());

  /** an addon whose spawn writes STDERR to the child's fd 2 and whose wait gives STATUS */
  function fake(stderr: string, status: [number, number]) {
    const calls: { file: string; argv: readonly string[]; fds: readonly number[]; stdin?: string }[] = [];
    const sys: ToolSyscalls = {
      pipe: pipes.pipe,
      spawn(file, argv, fds) {
        calls.push({ file, argv, fds });
        writeSync(fds[2]!, stderr);
        return 4242;
      },
      wait(pid) {
        assert.equal(pid, 4242);
        // the child's stdin has all of the input by now: the pipe's write end is written before the wait
        calls[0]!.stdin = pipes.written(pipes.made[0]!.write);
        return status;
      },
    };
    return { sys, calls };
  }

  test('the input on its stdin, stdout to /dev/null, stderr captured, extra fds after; every pipe end closed', () => {
    const { sys, calls } = fake('a warning\n', [0, -1]);
    const r = spawnCapturing('/usr/sbin/nft', ['nft', '-f', '-'], 'table inet x {}\n', [9], sys);
    assert.deepEqual(r, { code: 0, signal: -1, stderr: 'a warning\n' });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.file, '/usr/sbin/nft');
    assert.deepEqual(calls[0]!.argv, ['nft', '-f', '-']);
    assert.deepEqual(calls[0]!.fds, [pipes.made[0]!.read, -1, pipes.made[1]!.write, 9]);
    assert.equal(calls[0]!.stdin, 'table inet x {}\n');
    assert.deepEqual(pipes.open(), []);
  });

  test('a spawn that fails closes every pipe end and throws its error', () => {
    const before = pipes.made.length;
    const sys: ToolSyscalls = {
      pipe: pipes.pipe,
      spawn() {
        throw Object.assign(new Error('spawn: ENOENT'), { code: 'ENOENT' });
      },
      wait() {
        throw new Error('no child to wait for');
      },
    };
    assert.throws(() => spawnCapturing('/nowhere', ['x'], 'in', [], sys), /spawn: ENOENT/);
    assert.equal(pipes.made.length, before + 2);
    assert.deepEqual(pipes.open(), []);
  });

  test("runTool: a failure is one error with the step, the program's exit and the first lines of its stderr", () => {
    const { sys } = fake('Error: one\nErr two\nthree\nfour\n', [2, -1]);
    assert.throws(
      () => runTool('ip', ['-batch', '-'], 'link add x type bridge\n', 'making the bridge x', sys),
      (e: unknown) => e instanceof MobyDickError && e.code === 'NETWORK' && e.message === 'making the bridge x: ip failed (exit 2): Error: one; Err two; three',
    );
    const killed = fake('', [-1, 9]);
    assert.throws(() => runTool('ip', ['-batch', '-'], '', 'making the bridge y', killed.sys), /ip failed \(signal 9\)/);
    assert.doesNotThrow(() => runTool('ip', ['-batch', '-'], '', 'ok', fake('', [0, -1]).sys));
  });
});
