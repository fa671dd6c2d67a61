import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { resolveConfig } from './config.js';

describe('resolveConfig', () => {
  test('fills in Docker\'s defaults', () => {
    const c = resolveConfig({ command: ['ls'] });
    assert.equal(c.hostname, 'containerhostname');
    assert.equal(c.cwd, '/');
    assert.deepEqual(c.user, { uid: 0, gid: 0, additionalGids: [] });
    assert.deepEqual(c.env, [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=containerhostname',
      'HOME=/root',
    ]);
    assert.equal(c.capabilities, 'all');
    assert.equal(c.rootfs, null);
  });

  test('a tty adds TERM and a non-root user gets HOME=/', () => {
    const c = resolveConfig({ command: ['ls'], tty: true, user: { uid: 5, gid: 5 }, hostname: 'h' });
    assert.deepEqual(c.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'TERM=xterm', 'HOME=/']);
  });

  test('a rootfs defaults to Docker\'s capabilities without CAP_MKNOD', () => {
    const c = resolveConfig({ command: ['ls'], rootfs: '/r' });
    assert.ok(Array.isArray(c.capabilities));
    assert.equal((c.capabilities as string[]).length, 13);
    assert.ok(!(c.capabilities as string[]).includes('CAP_MKNOD'));
  });

  const bad: [string, Parameters<typeof resolveConfig>[0], RegExp][] = [
    ['empty command', { command: [] }, /invalid command: no command given/],
    ['NUL in an argument', { command: ['a\0b'] }, /command\[0\].*NUL/],
    ['relative rootfs', { command: ['ls'], rootfs: 'r' }, /rootfs.*absolute/],
    ['long hostname', { command: ['ls'], hostname: 'x'.repeat(65) }, /hostname.*1 to 64/],
    ['env without =', { command: ['ls'], env: ['FOO'] }, /env\[0\].*KEY=VALUE/],
    ['relative cwd', { command: ['ls'], cwd: 'tmp' }, /cwd.*absolute/],
    ['negative uid', { command: ['ls'], user: { uid: -1, gid: 0 } }, /user.uid/],
    ['read-only without rootfs', { command: ['ls'], readOnly: true }, /readOnly: needs a rootfs/],
    ['overlay without rootfs', { command: ['ls'], overlay: { lower: ['/l'], upper: '/u', work: '/w' } }, /overlay: needs a rootfs/],
    ['overlay without layers', { command: ['ls'], rootfs: '/r', overlay: { lower: [], upper: '/u', work: '/w' } }, /overlay.lower: needs at least one/],
    ['overlay dir with a colon', { command: ['ls'], rootfs: '/r', overlay: { lower: ['/a:b'], upper: '/u', work: '/w' } }, /overlay.lower\[0\].*must not contain/],
    ['relative upper dir', { command: ['ls'], rootfs: '/r', overlay: { lower: ['/l'], upper: 'u', work: '/w' } }, /overlay.upper.*absolute/],
  ];
  for (const [name, config, message] of bad) {
    test(`refuses ${name} with an error naming the field`, () => {
      assert.throws(() => resolveConfig(config), (e: unknown) => {
        assert.ok(e instanceof MobyDickError);
        assert.equal(e.code, 'INVALID_CONFIG');
        assert.equal(e.exitCode, 125);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
