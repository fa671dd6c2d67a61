import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { ApiError, messageOf, statusOf } from './errors.js';

test("the engine's errors get Docker's statuses by their words", () => {
  const usage = (m: string) => new MobyDickError('USAGE', m);
  assert.equal(statusOf(usage('No such container: x')), 404);
  assert.equal(statusOf(usage('Conflict. The container name "/x" is already in use by container "y".')), 409);
  assert.equal(statusOf(usage('You cannot remove a running container abc. Stop the container before attempting removal or force remove')), 409);
  assert.equal(statusOf(usage('Container abc is not running')), 409);
  assert.equal(statusOf(usage('Container abc is already paused')), 409);
  assert.equal(statusOf(usage('invalid restart policy: x')), 400);
  // update: a conflict with what the container has is 409 (dockerd's conflictingUpdateOptions), a bad value 400, the kernel's refusal 500
  assert.equal(statusOf(usage('Cannot update container abc: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set')), 409);
  assert.equal(statusOf(usage('Cannot update container abc: Restart policy cannot be updated because AutoRemove is enabled for the container')), 409);
  assert.equal(statusOf(usage('Minimum memory limit allowed is 6MB')), 400);
  assert.equal(statusOf(new MobyDickError('SETUP', 'Cannot update container abc: unable to set memory limit to 8388608 (current usage: 9, peak usage: 9)')), 500);
  assert.equal(statusOf(new MobyDickError('SETUP', 'mount failed')), 500);
  assert.equal(statusOf(new ApiError(304, 'container already started')), 304);
  assert.equal(statusOf(new Error('boom')), 500);
  assert.equal(messageOf(new MobyDickError('USAGE', 'No such container: x', { hint: 'a hint' })), 'No such container: x');
});
