import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flag, goFileMode, logTime, signalOf } from './containers.js';

test('query flags, signals, log times and Go file modes as Docker has them', () => {
  const q = new URLSearchParams('a=1&b=true&c=0&d=False');
  assert.deepEqual([flag(q, 'a'), flag(q, 'b'), flag(q, 'c'), flag(q, 'd'), flag(q, 'e'), flag(q, 'e', true)], [true, true, false, false, false, true]);
  assert.equal(signalOf('9', 'SIGTERM'), 'SIGKILL');
  assert.equal(signalOf('hup', 'SIGTERM'), 'SIGHUP');
  assert.equal(signalOf(null, 'SIGKILL'), 'SIGKILL');
  assert.throws(() => signalOf('SIGNOPE', 'SIGTERM'), /invalid signal/);
  assert.equal(logTime('1700000000.5'), 1_700_000_000_500_000_000n);
  assert.equal(logTime('0'), undefined);
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755, 'a directory');
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777, 'a symlink');
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755, 'setuid');
});
