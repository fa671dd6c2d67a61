/** --debug: each isolation step with its duration. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mdk } from '../helpers/cli.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';

let rootfs: string;
before(() => {
  rootfs = makeBusyboxRootfs();
});
after(() => removeRootfs(rootfs));

test('--debug prints namespaces, mounts, pivot_root and exec with durations', async () => {
  const r = await mdk(['run', '--debug', '--rootfs', rootfs, 'echo', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  const lines = r.stderr.trim().split('\n');
  for (const line of lines) assert.match(line, /^moby-dick: debug: (engine|helper) .+ \d+\.\d{3} ms$/);
  const steps = lines.map((l) => l.replace(/^moby-dick: debug: /, '').replace(/ \d+\.\d{3} ms$/, ''));
  for (const expected of ['helper clone namespaces', 'helper mount /proc', 'helper mount /sys', 'helper pivot', 'helper hostname containerhostname', 'helper exec echo']) {
    assert.ok(steps.includes(expected), `${expected} in\n${steps.join('\n')}`);
  }
  assert.ok(steps.indexOf('helper clone namespaces') < steps.indexOf('helper pivot'));
  assert.ok(steps.indexOf('helper pivot') < steps.indexOf('helper exec echo'));
});

test('without --debug nothing is printed', async () => {
  const r = await mdk(['run', '--rootfs', rootfs, 'true']);
  assert.equal(r.stderr, '');
});
