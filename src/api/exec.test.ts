import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Engine } from '../engine/engine.js';
import { EXEC_KEEP_MS, Execs } from './exec.js';

/** an engine whose every container runs */
const engine = { inspect: () => ({ state: { Running: true, Paused: false }, record: { id: 'c1' } }) } as unknown as Engine;
const body = { Cmd: ['true'], AttachStdout: true };

test('Execs: instances never started are forgotten an hour on, at a later create (a timer each kept them)', () => {
  let now = 0;
  const execs = new Execs(engine, ['/bin/true'], '/nonexistent', () => now);
  const first = Array.from({ length: 100 }, () => execs.create('c1', body));
  assert.equal(execs.size, 100);
  now = EXEC_KEEP_MS.unstarted - 1;
  execs.create('c1', body);
  assert.equal(execs.size, 101);
  now = EXEC_KEEP_MS.unstarted + 1;
  const last = execs.create('c1', body);
  assert.equal(execs.size, 2);
  assert.throws(() => execs.get(first[0]!), /No such exec instance/);
  assert.equal(execs.get(last).id, last);
});

test('Execs: an attached exec is kept while it runs, and minutes after its end for its inspect', async () => {
  let now = 0;
  // the "CLI" the instance runs: sh -c 'exit 3' (what follows is $0 and its arguments)
  const execs = new Execs(engine, ['/bin/sh', '-c', 'exit 3'], '/nonexistent', () => now);
  const id = execs.create('c1', body);
  const conn = new PassThrough();
  const running = execs.startAttached(id, conn);
  now = 10 * EXEC_KEEP_MS.unstarted;
  execs.create('c1', body); // sweeps: the running one stays, however old
  assert.equal(execs.inspect(id).Running, true);
  assert.equal(await running, 3);
  assert.equal(execs.inspect(id).ExitCode, 3);
  now += EXEC_KEEP_MS.ended + 1;
  execs.create('c1', body);
  assert.throws(() => execs.get(id), /No such exec instance/);
  assert.equal(execs.size, 2); // the two made since, not started
});
