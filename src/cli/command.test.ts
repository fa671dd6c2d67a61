import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { defineCommand, defineGroup, outsideRun } from './command.js';

/** A command that records what it got, or throws ERROR. */
function probe(name: string, error?: MobyDickError, extra: { trailingCommand?: boolean; runExitCodes?: boolean } = {}) {
  const got: { values?: unknown; operands?: string[] } = {};
  const command = defineCommand({
    name,
    usage: `${name} [OPTIONS] X...`,
    summary: 'a probe',
    options: { force: { type: 'boolean', short: 'f' }, format: { type: 'string' } },
    args: { min: 1 },
    ...extra,
    run(values, operands) {
      got.values = values;
      got.operands = operands;
      if (error) throw error;
      return 0;
    },
  });
  return { command, got };
}

async function rejection(p: Promise<unknown>): Promise<MobyDickError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MobyDickError);
    return e;
  }
  assert.fail('no error');
}

test('flags after operands, as `rm web -f`; for a trailing command they belong to it', async () => {
  const rm = probe('rm');
  await rm.command.run(['web', '-f', '--format', 'X']);
  assert.deepEqual(rm.got.operands, ['web']);
  assert.deepEqual(rm.got.values, { force: true, format: 'X' });
  const exec = probe('exec', undefined, { trailingCommand: true });
  await exec.command.run(['-f', 'web', 'ls', '-f']);
  assert.deepEqual(exec.got.operands, ['web', 'ls', '-f']);
  assert.deepEqual(exec.got.values, { force: true });
});

test('Docker\'s exit codes: flag errors 125, too few operands 1, an engine error 1 outside run and create', async () => {
  const engineError = new MobyDickError('USAGE', 'No such container: x', { container: 'x' });
  const ps = probe('ps', engineError);
  assert.equal((await rejection(ps.command.run(['x', '--bogus']))).exitCode, 125);
  assert.equal((await rejection(ps.command.run([]))).exitCode, 1);
  const converted = await rejection(ps.command.run(['x']));
  assert.equal(converted.exitCode, 1);
  assert.equal(converted.message, 'No such container: x');
  assert.deepEqual(converted.details, { container: 'x' });
  const run = probe('run', engineError, { trailingCommand: true, runExitCodes: true });
  assert.equal((await rejection(run.command.run(['x']))).exitCode, 125);
  assert.equal((await rejection(run.command.run([]))).exitCode, 1);
});

test('outsideRun keeps flag errors (125), the command\'s own statuses (126, 127) and what is not ours', () => {
  assert.equal((outsideRun(new MobyDickError('FLAG', 'bad')) as MobyDickError).exitCode, 125);
  assert.equal((outsideRun(new MobyDickError('COMMAND_NOT_FOUND', 'no')) as MobyDickError).exitCode, 127);
  assert.equal((outsideRun(new MobyDickError('STORE', 'broken')) as MobyDickError).exitCode, 1);
  const bug = new TypeError('x');
  assert.equal(outsideRun(bug), bug);
});

test('a group: an unknown sub-command exits 1, with a suggestion when it is near one', async () => {
  const group = defineGroup({ name: 'network', summary: 'Manage networks', commands: { ls: probe('network ls').command, create: probe('network create').command } });
  const near = await rejection(group.run(['craete']));
  assert.equal(near.exitCode, 1);
  assert.equal(near.message, 'unknown command "craete" for "moby-dick network": did you mean create?');
  const far = await rejection(group.run(['zzzzzz']));
  assert.equal(far.message, 'unknown command "zzzzzz" for "moby-dick network"');
});
