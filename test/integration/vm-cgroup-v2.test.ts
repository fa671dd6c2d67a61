/**
 * cgroup v2 for real: boots the cgroup-v2-only test VM (test/vm/) once and
 * runs the guest test files there (test/vm/guest/: the runtime's and the
 * engine's limits, update, pause, OOM kills, the cgroup namespace view,
 * removal; rootless containers' limits in a subtree delegated to a test
 * user, and their networking (pasta, -p, none, host); and the host's rootless.test once on a v2-only kernel); each of
 * their tests is reported here as a subtest. A VM that
 * cannot boot (no kernel or QEMU installed) fails this test, saying what
 * to install. The VM touches nothing of the host's (it sees / read-only),
 * so the integration lock is not needed while it runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PROJECT } from '../helpers/cli.js';
import { tapResults } from '../vm/tap.js';
import { runInVm } from '../vm/vm.js';

const GUEST = [
  ...['engine-v2.js', 'runtime-v2.js', 'rootless-v2.js', 'rootless-net-v2.js'].map((f) => join(PROJECT, 'build/tsc/test/vm/guest', f)),
  // the host's rootless checks, once on a v2-only kernel (a test user without a delegated subtree there)
  join(PROJECT, 'build/tsc/test/integration/rootless.test.js'),
];
/** the guest's tests: a test that vanished from a file counts as a failure */
const EXPECTED_TESTS = 21;

describe('cgroup v2 in a v2-only VM', () => {
  test('the runtime and the engine: limits, update, pause, OOM kills, the cgroup namespace, removal; rootless in a delegated subtree', { timeout: 20 * 60_000 }, async (t) => {
    const r = await runInVm(['node', '--test', '--test-concurrency=1', '--test-reporter=tap', ...GUEST], {
      cwd: PROJECT,
      timeoutMs: 15 * 60_000,
      onProgress: (text) => process.stderr.write(text.replace(/^(?=.)/gm, 'vm: ')),
    });
    assert.notEqual(r.code, null, `the VM's command reported no exit status${r.timedOut ? ' (timed out)' : ''}; its console:\n${r.console.slice(-4000)}\n${r.stderr}`);
    const results = tapResults(r.stdout);
    for (const res of results) await t.test(res.name, () => assert.ok(res.ok, res.details));
    t.diagnostic(`VM run: ${r.seconds.toFixed(0)} s`);
    assert.equal(results.length, EXPECTED_TESTS, `the guest's tests that ran:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^# skipped 0$/m);
    assert.equal(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  });
});
