import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { createRequestOf, exitOf, packageCli } from './engine-handle.js';

describe('openEngine facade', () => {
  test('a container gets the CLI run defaults where the options say nothing', () => {
    const r = createRequestOf({ image: 'busybox' });
    assert.equal(r.network, 'bridge');
    assert.deepEqual(r.command, []);
    assert.deepEqual(r.env, []);
    assert.equal(r.seccomp, 'default');
    assert.equal(r.privileged, false);
    assert.deepEqual(r.restart, { name: 'no', maximumRetryCount: 0 });
    assert.equal(r.autoRemove, false);
    assert.equal(r.name, undefined, 'a generated name');
  });

  test('the options are carried over, mounts as the engine asks them', () => {
    const r = createRequestOf({
      image: 'busybox', command: ['true'], name: 'n1', env: ['A=1'], network: 'none', init: true, labels: { a: 'b' }, pull: 'never',
      mounts: [{ type: 'bind', source: '/srv/x', target: '/x', readOnly: true }, { type: 'tmpfs', target: '/t' }, { type: 'volume', source: 'v', target: '/v' }],
    });
    assert.deepEqual([r.command, r.name, r.env, r.network, r.init, r.labels, r.pull], [['true'], 'n1', ['A=1'], 'none', true, { a: 'b' }, 'never']);
    assert.deepEqual(r.mounts, [
      { kind: 'bind', source: '/srv/x', destination: '/x', readOnly: true },
      { kind: 'tmpfs', source: '', destination: '/t', readOnly: false },
      { kind: 'volume', source: 'v', destination: '/v', readOnly: false },
    ]);
    assert.throws(() => createRequestOf({ image: 'b', mounts: [{ type: 'bind', source: 'rel', target: '/x' }] }), MobyDickError);
    assert.throws(() => createRequestOf({ image: 'b', mounts: [{ type: 'tmpfs', target: 'rel' }] }), MobyDickError);
  });

  test('how a container ended: the signal named, under an init from 128+N', () => {
    assert.deepEqual(exitOf(137, 'SIGKILL'), { exitCode: 137, signal: 'SIGKILL' });
    assert.deepEqual(exitOf(143, 15), { exitCode: 143, signal: 'SIGTERM' });
    assert.deepEqual(exitOf(143, null), { exitCode: 143 });
    assert.deepEqual(exitOf(143, null, true), { exitCode: 143, signal: 'SIGTERM' });
    assert.deepEqual(exitOf(3, null, true), { exitCode: 3 });
  });

  test('the package CLI is found above the module', () => {
    const dir = mkdtempSync('/tmp/mdk-test-cli-');
    try {
      mkdirSync(join(dir, 'tsc', 'src', 'library'), { recursive: true });
      writeFileSync(join(dir, 'moby-dick'), '');
      assert.deepEqual(packageCli(join(dir, 'tsc', 'src', 'library')), [join(dir, 'moby-dick')]);
      rmSync(join(dir, 'moby-dick'));
      assert.throws(() => packageCli(join(dir, 'tsc', 'src', 'library')), MobyDickError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
