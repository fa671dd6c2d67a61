import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { defineNamespaceCommand } from './namespace-command.js';

test('a namespace command: its JSON request parsed and handed over, exit 0; a request that is not JSON a usage error naming it', async () => {
  const got: { a: number }[] = [];
  const cmd = defineNamespaceCommand<{ a: number }>('rootless-probe', 'a probe', async (req) => void got.push(req));
  assert.equal(await cmd.run(['{"a":1}']), 0);
  assert.deepEqual(got, [{ a: 1 }]);
  await assert.rejects(cmd.run(['{not json']), (e: unknown) => e instanceof MobyDickError && e.message === 'rootless-probe needs a JSON request');
  assert.equal(got.length, 1, 'nothing run for a bad request');
  assert.match(cmd.help, /rootless-probe REQUEST/);
});
