/**
 * Run INSIDE the cgroup-v2-only test VM (test/integration/vm-cgroup-v2.test.ts
 * boots it; by hand: test/vm/run-in-vm node build/tsc/test/vm/guest/engine-v2.js).
 * The engine (`moby-dick run`, `update`, `pause`, `inspect`, `rm`) on real
 * cgroup v2: memory.max, memory.low, memory.swap.max, pids.max, cpu.max
 * (--cpus and --cpu-quota/--cpu-period), cpu.weight (--cpu-shares), the
 * container's own subtree at /sys/fs/cgroup inside, State.OOMKilled from
 * memory.events, and rm leaving no cgroup.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { sharesToWeight } from '../../../src/cgroups/resources.js';
import { ENGINE_CGROUP_PARENT, type ImageEnv, makeImageEnv } from '../../helpers/image-env.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../../helpers/leaks.js';
import { makeImage, tarOf, writeLayout } from '../../helpers/oci-image.js';
import { makeBusyboxRootfs, removeRootfs, TEST_PREFIX } from '../../helpers/rootfs.js';
import { guestProgress, SLOW } from './guest.js';

const CG = '/sys/fs/cgroup';
const MIB = 1024 * 1024;
const IMAGE = 'mdk-test-vm/busybox:latest';

describe('the engine on cgroup v2 (in the VM)', () => {
  let env: ImageEnv;
  let snap: Snapshot;
  const mdk = async (...args: string[]) => env.mdk(args, { timeoutMs: SLOW });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await mdk(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const inspect = async (ref: string) =>
    (JSON.parse(await ok('inspect', ref)) as { Id: string; State: { Status: string; Paused: boolean; OOMKilled: boolean; ExitCode: number } }[])[0]!;
  const cgDir = (id: string): string => join(CG, ENGINE_CGROUP_PARENT, id);
  const cg = (id: string, file: string): string => readFileSync(join(cgDir(id), file), 'utf8').trim();

  before(async () => {
    // the busybox test rootfs as an OCI archive, loaded: no registry inside
    const rootfs = makeBusyboxRootfs();
    const layout = writeLayout(makeImage([rootfs], { cmd: ['sh'] }), IMAGE);
    const tmp = mkdtempSync(join('/tmp', `${TEST_PREFIX}vm-image-`));
    writeFileSync(join(tmp, 'busybox.tar'), tarOf(layout));
    env = makeImageEnv();
    try {
      await ok('load', '-q', '-i', join(tmp, 'busybox.tar'));
    } finally {
      removeRootfs(rootfs);
      rmSync(layout, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  after(() => env.remove());
  beforeEach((t) => {
    guestProgress(`engine: ${t.name}`);
    snap = snapshot();
  });
  afterEach(async () => {
    const ids = (await mdk('ps', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean);
    if (ids.length) await mdk('rm', '-f', ...ids);
    assert.equal(existsSync(join(CG, ENGINE_CGROUP_PARENT)), false, 'the engine\'s parent cgroup goes with its last container');
    await assertNoLeaks(snap);
  });

  test('run\'s limits in the cgroup; the container sees its own subtree; update changes them; pause and unpause freeze it; rm removes the cgroup', async () => {
    const id = await ok('run', '-d', '--network', 'none', '--name', 'mdk-test-v2', '-m', '64m', '--memory-reservation', '32m', '--pids-limit', '20', '--cpus', '0.5', '--cpu-shares', '512', IMAGE, 'sleep', '600');
    assert.equal(cg(id, 'memory.max'), String(64 * MIB));
    assert.equal(cg(id, 'memory.low'), String(32 * MIB));
    assert.equal(cg(id, 'memory.swap.max'), String(64 * MIB), 'swap: as much again as memory (Docker\'s default memory+swap, twice the memory)');
    assert.equal(cg(id, 'pids.max'), '20');
    assert.equal(cg(id, 'cpu.max'), '50000 100000');
    assert.equal(cg(id, 'cpu.weight'), String(sharesToWeight(512)));

    assert.equal(await ok('exec', id, 'cat', '/proc/self/cgroup'), '0::/');
    assert.equal(await ok('exec', id, 'cat', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max'), `${64 * MIB}\n20`);

    await ok('update', '-m', '48m', '--memory-swap', '128m', '--pids-limit', '30', '--cpus', '1.5', '--cpu-shares', '1024', id);
    assert.equal(cg(id, 'memory.max'), String(48 * MIB));
    assert.equal(cg(id, 'memory.swap.max'), String(80 * MIB));
    assert.equal(cg(id, 'pids.max'), '30');
    assert.equal(cg(id, 'cpu.max'), '150000 100000');
    assert.equal(cg(id, 'cpu.weight'), String(sharesToWeight(1024)));

    await ok('pause', id);
    assert.equal(cg(id, 'cgroup.freeze'), '1');
    assert.match(cg(id, 'cgroup.events'), /^frozen 1$/m);
    assert.deepEqual([(await inspect(id)).State.Status, (await inspect(id)).State.Paused], ['paused', true]);
    await ok('unpause', id);
    assert.match(cg(id, 'cgroup.events'), /^frozen 0$/m);
    assert.equal((await inspect(id)).State.Status, 'running');

    await ok('rm', '-f', id);
    assert.equal(existsSync(cgDir(id)), false);
  });

  test('a memory hog is OOM-killed: memory.events counts it, inspect\'s State.OOMKilled says so, exit 137', async () => {
    const id = await ok('run', '-d', '--network', 'none', '-m', '16m', '--memory-swap', '16m', IMAGE, 'sh', '-c', 'x=a; while true; do x="$x$x"; done');
    assert.equal(cg(id, 'memory.swap.max'), '0');
    assert.equal(await ok('wait', id), '137');
    let state = (await inspect(id)).State;
    for (let i = 0; i < 100 && !state.OOMKilled; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await inspect(id)).State;
    }
    assert.deepEqual([state.Status, state.ExitCode, state.OOMKilled], ['exited', 137, true]);
    assert.equal(existsSync(cgDir(id)), false, 'an exited container keeps no cgroup');
  });

  test('every controller is enabled for a container, limited or not (as runc): stats and OOM counts without a memory limit; a stopped one leaves no cgroup', async () => {
    const id = await ok('run', '-d', '--network', 'none', '--cpu-quota', '30000', '--cpu-period', '60000', IMAGE, 'sleep', '600');
    assert.equal(cg(id, 'cpu.max'), '30000 60000');
    assert.equal(cg(id, 'memory.max'), 'max');
    assert.equal(cg(id, 'pids.max'), 'max');
    assert.ok(Number(cg(id, 'memory.current')) > 0);
    assert.match(cg(id, 'memory.events'), /^oom_kill 0$/m);
    const stats = JSON.parse(await ok('stats', '--no-stream', '--format', '{{json .}}', id)) as { MemUsage: string; PIDs: string };
    assert.match(stats.MemUsage, /^[\d.]+[KMG]iB \/ /);
    assert.equal(stats.PIDs, '1');
    await ok('stop', '-t', '0', id);
    // the monitor handles the exit (and removes the cgroup) just after stop returns
    for (let i = 0; i < 200 && existsSync(cgDir(id)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(cgDir(id)), false);
  });
});
