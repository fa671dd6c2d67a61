import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { defaultSeccompProfile } from './seccomp-profile.js';

test('defaultSeccompProfile: built once per deciding set of capabilities, shared and frozen', () => {
  const a = defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES);
  // the same deciding capabilities in another order, and one the profile does not look at
  const b = defaultSeccompProfile([...DOCKER_DEFAULT_CAPABILITIES].reverse());
  assert.equal(a, b, 'one object for one key');
  const admin = defaultSeccompProfile([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
  assert.notEqual(admin, a);
  assert.notDeepEqual(admin.syscalls, a.syscalls);
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.syscalls) && Object.isFrozen(a.syscalls![0]!.names));
  assert.throws(() => (a.syscalls as unknown[]).push({}), TypeError, 'a change throws instead of reaching every container');
});
