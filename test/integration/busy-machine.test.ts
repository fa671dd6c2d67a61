/**
 * The suite on a busy machine (issue 17): a neighbour — someone else on the
 * host — has containers running before the tests start and changes the
 * host's mounts while they run. A representative subset of the tests then
 * passes beside them, their leak checks count only what they made, the
 * neighbour's containers are untouched, and a leak of the test's own is
 * still caught.
 *
 * The neighbour's store and cgroup parent are named `mdk-neighbour-`, not
 * with the tests' prefix, as a user's would be; this file removes them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cgroupDirsOf } from '../../src/engine/leftovers.js';
import { type LiveCli, mdk, startCli } from '../helpers/cli.js';
import { useEngine } from '../helpers/engine-env.js';
import { type ImageEnv, makeImageEnv } from '../helpers/image-env.js';
import { assertNoLeaks, newHelpers, snapshot } from '../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs, TEST_PREFIX } from '../helpers/rootfs.js';

const NEIGHBOUR_CGROUP = `mdk-neighbour-${process.pid}`;

describe('a busy machine: the tests check only what they made', () => {
  const w = useEngine();
  let neighbour: ImageEnv;
  let neighbourShell: LiveCli;
  let neighbourDir: string;
  let rootfs: string;

  before(async () => {
    rootfs = makeBusyboxRootfs();
    neighbourDir = mkdtempSync('/tmp/mdk-neighbour-mounts-');
    neighbour = makeImageEnv({ dirPrefix: 'mdk-neighbour-', cgroupParent: NEIGHBOUR_CGROUP });
    const archive = join(neighbourDir, 'busybox.tar');
    assert.equal((await w.env.mdk(['save', '-o', archive, w.image])).code, 0);
    assert.equal((await neighbour.mdk(['load', '-q', '-i', archive])).code, 0);
    // the neighbour's containers: an engine container (an overlay on the host, a monitor) and the original form
    const web = await neighbour.mdk(['run', '-d', '--network', 'none', '--name', 'mdk-neighbour-web', w.image, 'sleep', '600']);
    assert.equal(web.code, 0, web.stderr);
    neighbourShell = startCli(['sh', '-c', 'echo ready; exec sleep 600'], 600_000);
    await neighbourShell.waitFor('ready');
  });

  after(async () => {
    // still running at the end: the tests' cleanups left the neighbour alone
    if (neighbourShell) {
      process.kill(neighbourShell.pid, 'SIGKILL'); // sleep as pid 1 ignores SIGTERM
      await neighbourShell.done;
    }
    if (neighbour) {
      await neighbour.mdk(['rm', '-f', 'mdk-neighbour-web']);
      neighbour.remove();
    }
    assert.deepEqual(cgroupDirsOf(`/${NEIGHBOUR_CGROUP}`), [], "the neighbour's cgroup parent went with its container");
    rmSync(neighbourDir, { recursive: true, force: true });
    removeRootfs(rootfs);
  });

  test("the neighbour's containers run while the tests run", async () => {
    const ps = await neighbour.mdk(['ps', '--format', '{{.Names}} {{.Status}}']);
    assert.match(ps.stdout, /^mdk-neighbour-web Up/m);
    assert.ok(newHelpers({ mounts: [], helpers: new Set() }).length >= 2, "the neighbour's helpers run");
    assert.doesNotThrow(() => process.kill(neighbourShell.pid, 0), "the neighbour's original form runs");
  });

  test('the original form, the jail and an engine container leave nothing, beside the neighbour', async () => {
    const snap = snapshot();
    const host = await mdk(['hostname']);
    assert.equal(host.stdout, 'containerhostname\n');
    const jail = await mdk(['run', '--rootfs', rootfs, 'sh', '-c', 'echo in-jail']);
    assert.equal(jail.stdout, 'in-jail\n');
    const rm = await w.env.mdk(['run', '--rm', '--network', 'none', w.image, 'echo', 'engine']);
    assert.equal(rm.stdout, 'engine\n');
    const d = await w.env.mdk(['run', '-d', '--network', 'none', '--name', `${TEST_PREFIX}busy`, w.image, 'sleep', '60']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal((await w.env.mdk(['rm', '-f', `${TEST_PREFIX}busy`])).code, 0);
    await assertNoLeaks(snap);
  });

  test('the neighbour mounts and unmounts on the host during a test: not counted', async () => {
    const snap = snapshot();
    const point = join(neighbourDir, 'm');
    mkdirSync(point);
    execFileSync('mount', ['-t', 'tmpfs', 'mdk-neighbour', point]);
    try {
      const r = await mdk(['run', '--rootfs', rootfs, 'true']);
      assert.equal(r.code, 0);
      await assertNoLeaks(snap);
    } finally {
      execFileSync('umount', [point]);
    }
  });

  test("a test's own leaked mount is still caught beside the neighbour", async () => {
    const snap = snapshot();
    const point = mkdtempSync(`/tmp/${TEST_PREFIX}busy-leak-`);
    execFileSync('mount', ['-t', 'tmpfs', `${TEST_PREFIX}leak`, point]);
    try {
      await assert.rejects(assertNoLeaks(snap), /mounts left behind/);
    } finally {
      execFileSync('umount', [point]);
      rmSync(point, { recursive: true });
    }
    await assertNoLeaks(snap);
  });

  test("a test's own helper left running is still caught beside the neighbour", async () => {
    const snap = snapshot();
    const live = startCli(['sh', '-c', 'echo ready; exec sleep 60']);
    await live.waitFor('ready');
    try {
      await assert.rejects(assertNoLeaks(snap), /helper processes left behind/);
    } finally {
      process.kill(live.pid, 'SIGKILL');
      await live.done;
    }
    await assertNoLeaks(snap);
  });
});
