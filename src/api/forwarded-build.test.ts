import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from './errors.js';
import { FORWARD_FORMAT, forwardedRequestOf } from './forwarded-build.js';

const body = (...fields: string[]) => Buffer.from(fields.map((f) => `${f}\0`).join(''));

test("the launcher's fields: working directory, root, mount namespace, the arguments, then the environment", () => {
  const r = forwardedRequestOf(body(FORWARD_FORMAT, '/work/app', '', 'mnt:[4026531840]', '3', '-q', '--build-arg', 'A=x=y', 'PATH=/bin', 'A=1', 'EMPTY=', 'junk'));
  assert.deepEqual(r, { cwd: '/work/app', root: '', mountNs: 'mnt:[4026531840]', argv: ['-q', '--build-arg', 'A=x=y'], env: { PATH: '/bin', A: '1', EMPTY: '' } });
  // an argument may hold anything but a NUL: spaces, newlines, an empty one
  assert.deepEqual(forwardedRequestOf(body(FORWARD_FORMAT, '/', '/var/store', 'mnt:[1]', '2', 'a b\nc', '')).argv, ['a b\nc', '']);
});

test('a body not in the format is refused with 400', () => {
  const refused = (b: Buffer) => assert.throws(() => forwardedRequestOf(b), (e: unknown) => e instanceof ApiError && e.status === 400);
  refused(Buffer.from(''));
  refused(body('moby-dick-build 2', '/', '', 'mnt:[1]', '0'));
  // the last field without its NUL
  refused(Buffer.from(`${FORWARD_FORMAT}\0/\0\0mnt:[1]\x000`));
  // fewer arguments than counted, a relative working directory, a count that is not a number
  refused(body(FORWARD_FORMAT, '/', '', 'mnt:[1]', '2', 'only-one'));
  refused(body(FORWARD_FORMAT, 'rel', '', 'mnt:[1]', '0'));
  refused(body(FORWARD_FORMAT, '/', '', 'mnt:[1]', 'x'));
});
