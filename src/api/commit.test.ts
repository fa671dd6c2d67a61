import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitBodyConfig, commitReference } from './commit.js';
import { ApiError } from './errors.js';

test('commitReference: repo and tag, repo alone, none', () => {
  assert.equal(commitReference(new URLSearchParams('repo=app&tag=v1')), 'docker.io/library/app:v1');
  assert.equal(commitReference(new URLSearchParams('repo=reg.example:5000/a/b')), 'reg.example:5000/a/b:latest');
  assert.equal(commitReference(new URLSearchParams('')), undefined);
  assert.throws(() => commitReference(new URLSearchParams('repo=app&tag=bad:tag')), (e: unknown) => e instanceof ApiError && e.status === 400);
  assert.throws(() => commitReference(new URLSearchParams('repo=UPPER')), (e: unknown) => e instanceof ApiError && e.status === 400);
});

test('commitBodyConfig: an image\'s fields typed, the rest left out; null is no config', () => {
  assert.deepEqual(commitBodyConfig(null), {});
  assert.deepEqual(
    commitBodyConfig({ Cmd: 'echo', Entrypoint: ['/e'], Env: ['A=1'], WorkingDir: '/w', User: 'u', Labels: { l: 'v' }, ExposedPorts: { '80/tcp': {} }, Hostname: 'h', Tty: true, Volumes: null, StopSignal: '' }),
    { Cmd: ['echo'], Entrypoint: ['/e'], Env: ['A=1'], WorkingDir: '/w', User: 'u', Labels: { l: 'v' }, ExposedPorts: { '80/tcp': {} } },
  );
  assert.throws(() => commitBodyConfig({ Env: 'A=1' }), (e: unknown) => e instanceof ApiError && e.status === 400 && /Env/.test(e.message));
  assert.throws(() => commitBodyConfig([]), (e: unknown) => e instanceof ApiError && e.status === 400);
});
