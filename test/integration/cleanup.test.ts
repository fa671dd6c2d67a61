/** Nothing left behind: after a normal exit, a signal, or SIGKILL of moby-dick itself. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { mdk, sleep, startCli } from '../helpers/cli.js';
import { assertNoLeaks, newHelpers, processesWith, snapshot } from '../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';

/** The jail's cgroup directories named for STARTER (its pid, the name's first 8 hex digits), in every hierarchy. */
function jailCgroupsOf(starter: number): string[] {
  const prefix = starter.toString(16).padStart(8, '0');
  const found: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const parent = `/sys/fs/cgroup/${h}/moby-dick-jail`;
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent)) if (name.startsWith(prefix)) found.push(`${parent}/${name}`);
  }
  return found;
}

describe('nothing left behind', () => {
  let rootfs: string;
  before(() => {
    rootfs = makeBusyboxRootfs();
  });
  after(() => removeRootfs(rootfs));

  for (const [name, jail] of [['the original form', false], ['the jail', true]] as const) {
    const form = (): string[] => (jail ? ['run', '--rootfs', rootfs] : []);

    test(`${name}: after a normal exit`, async () => {
      const snap = snapshot();
      const live = startCli([...form(), 'sh', '-c', 'mount -t tmpfs mdk-test-x /mnt; echo ready']);
      await live.waitFor('ready');
      assert.equal((await live.done).code, 0);
      await assertNoLeaks(snap);
    });

    test(`${name}: after the container is ended by a signal`, async () => {
      const snap = snapshot();
      const marker = `mdk-test-marker-${jail ? 'jail' : 'host'}-sig`;
      const live = startCli([...form(), '--init', 'sh', '-c', `echo ready; sleep 61 # ${marker}`]);
      await live.waitFor('ready');
      process.kill(live.pid, 'SIGTERM');
      assert.equal((await live.done).code, 143);
      await assertNoLeaks(snap, marker);
    });

    test(`${name}: after moby-dick itself is killed with SIGKILL`, async () => {
      const snap = snapshot();
      const marker = `mdk-test-marker-${jail ? 'jail' : 'host'}-kill`;
      // a background process too: the whole pid namespace must go
      const script = `sleep 62 & mount -t tmpfs ${marker} /mnt; echo ready; sleep 63 # ${marker}`;
      const live = startCli([...form(), 'sh', '-c', script]);
      await live.waitFor('ready');
      assert.ok(processesWith(marker).length > 0, 'the container runs');
      assert.ok(newHelpers(snap).length > 0, 'the helper runs');
      process.kill(live.pid, 'SIGKILL');
      const r = await live.done;
      assert.equal(r.signal, 'SIGKILL');
      await sleep(50);
      await assertNoLeaks(snap, marker);
      assert.deepEqual(processesWith('sleep 62'), []);
      if (jail) {
        // its cgroup stays (nobody was left to remove it) until the next jail starts
        assert.ok(jailCgroupsOf(live.pid).length > 0, 'the killed jail left its cgroup');
        const next = await mdk([...form(), 'true']);
        assert.equal(next.code, 0, next.stderr);
        assert.deepEqual(jailCgroupsOf(live.pid), [], 'the next jail removed the dead starter\'s cgroup');
      }
    });
  }
});
