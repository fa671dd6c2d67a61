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
  assert.equal(statusOf(new MobyDickError('SETUP', 'mount failed')), 500);
  assert.equal(statusOf(new ApiError(304, 'container already started')), 304);
  assert.equal(statusOf(new Error('boom')), 500);
  assert.equal(messageOf(new MobyDickError('USAGE', 'No such container: x', { hint: 'a hint' })), 'No such container: x');
});
