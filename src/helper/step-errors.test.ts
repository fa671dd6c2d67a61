import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepError } from './step-errors.js';

test('exec ENOENT of a bare name is "not found in $PATH", exit 127', () => {
  const e = stepError('exec', 2, 'nosuch');
  assert.equal(e.exitCode, 127);
  assert.equal(e.message, 'exec: "nosuch": executable file not found in $PATH');
  assert.equal(e.details.errnoName, 'ENOENT');
});

test('exec ENOENT of a path names the path, exit 127', () => {
  const e = stepError('exec', 2, '/bin/nosuch');
  assert.equal(e.exitCode, 127);
  assert.equal(e.message, 'exec: "/bin/nosuch": no such file or directory');
});

test('exec EACCES and ENOEXEC cannot execute, exit 126', () => {
  assert.equal(stepError('exec', 13, '/etc').exitCode, 126);
  assert.match(stepError('exec', 13, '/etc').message, /permission denied/);
  assert.equal(stepError('exec', 8, '/x').exitCode, 126);
});

test('a setup step becomes a sentence with the subject and the errno', () => {
  const e = stepError('mount', 1, '/proc');
  assert.equal(e.exitCode, 125);
  assert.equal(e.message, 'container setup failed mounting /proc: operation not permitted (EPERM)');
  assert.equal(e.details.step, 'mount');
});

test('a cwd outside the root says so', () => {
  const e = stepError('cwd', 18, '/x');
  assert.match(e.message, /working directory "\/x"/);
  assert.match(e.details.hint ?? '', /outside the container root/);
});

test('an unknown step still names the step', () => {
  assert.match(stepError('frobnicate', 22, 'x').message, /frobnicate x: invalid argument \(EINVAL\)/);
});

test('an rlimit step names the limit, and EPERM says why', () => {
  const e = stepError('rlimit', 1, '7');
  assert.equal(e.message, 'container setup failed setting RLIMIT_NOFILE: operation not permitted (EPERM)');
  assert.match(e.details.hint ?? '', /CAP_SYS_RESOURCE/);
});

test('the OCI runtime\'s steps read as sentences too', () => {
  assert.match(stepError('setns', 2, '/var/run/netns/x').message, /failed joining the namespace \/var\/run\/netns\/x: no such file/);
  assert.match(stepError('seccomp', 22, 'load filter').message, /failed loading the seccomp filter \(load filter\)/);
});
