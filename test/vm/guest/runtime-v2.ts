/**
 * Run INSIDE the cgroup-v2-only test VM (test/integration/vm-cgroup-v2.test.ts
 * boots it; by hand: test/vm/run-in-vm node build/tsc/test/vm/guest/runtime-v2.js).
 * moby-dick-runtime on real cgroup v2: memory.max, memory.low, pids.max,
 * cpu.max, cpu.weight, cpuset, io.weight, hugetlb and unified keys written
 * before the process runs, the controllers enabled down the path, the
 * process in them, the container's /sys/fs/cgroup its own subtree (cgroup
 * namespace), update, pause/resume through cgroup.freeze, events --stats,
 * device rules (the eBPF program) enforced, an OOM kill in memory.events
 * and as runc's "oom" event, and delete leaving no cgroup.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { readCgroupLayout } from '../../../src/cgroups/layout.js';
import { blkioToIoWeight, sharesToWeight } from '../../../src/cgroups/resources.js';
import type { Spec } from '../../../src/spec/schema.js';
import { makeBundle, makeStateRoot, removeBundle, runtime } from '../../helpers/bundle.js';
import { run, sleep } from '../../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs } from '../../helpers/rootfs.js';
import { RUNTIME } from '../../helpers/bundle.js';
import { guestProgress, SLOW } from './guest.js';

const CG = '/sys/fs/cgroup';
const PARENT = 'mdk-test-vm-rt';
const cg = (path: string, file: string): string => readFileSync(join(CG, path, file), 'utf8').trim();
const MIB = 1024 * 1024;

describe('moby-dick-runtime on cgroup v2 (in the VM)', () => {
  let rootfs = '';
  let root = '';
  let snap: Snapshot;
  const bundles: string[] = [];
  const rt = (...args: string[]) => runtime(root, args, { timeoutMs: SLOW });
  const rtIn = (input: string, ...args: string[]) => runtime(root, args, { timeoutMs: SLOW, input });
  const bundle = (change: (s: Spec) => void): string => {
    const b = makeBundle(rootfs, change);
    bundles.push(b);
    return b;
  };
  const status = async (id: string): Promise<string> => (JSON.parse((await rt('state', id)).stdout) as { status: string }).status;

  before(() => {
    rootfs = makeBusyboxRootfs();
    root = makeStateRoot();
  });
  after(() => {
    removeRootfs(rootfs);
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach((t) => {
    guestProgress(`runtime: ${t.name}`);
    snap = snapshot();
  });
  afterEach(async () => {
    for (const id of (await rt('list', '-q')).stdout.split('\n').filter(Boolean)) await rt('delete', '--force', id);
    while (bundles.length) removeBundle(bundles.pop()!);
    assert.equal(existsSync(join(CG, PARENT)), false, 'the containers\' cgroups and their parent removed');
    await assertNoLeaks(snap, 'mdk-test-marker');
  });

  test('this is a cgroup-v2-only machine with every controller enabled in the root', () => {
    const layout = readCgroupLayout();
    assert.equal(layout.version, 2);
    assert.deepEqual(layout.v1, []);
    assert.equal(layout.unified, CG);
    for (const c of ['cpu', 'memory', 'pids', 'io', 'cpuset']) assert.ok(cg('', 'cgroup.subtree_control').split(' ').includes(c), c);
  });

  test('limits before the process runs; it runs in them and sees its own subtree; update; pause and resume; events --stats; delete removes the cgroup', async () => {
    const path = `/${PARENT}/limits`;
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = {
        ...s.linux!.resources,
        memory: { limit: 64 * MIB, reservation: 32 * MIB },
        pids: { limit: 20 },
        cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
        blockIO: { weight: 500 },
        hugepageLimits: [{ pageSize: '2MB', limit: 4 * MIB }],
        unified: { 'memory.high': String(60 * MIB) },
      };
      s.process!.args = ['sh', '-c', [
        'cat /proc/self/cgroup > /tmp/mdk-test-cgroup',
        'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max > /tmp/mdk-test-limits',
        'ls /sys/fs/cgroup > /tmp/mdk-test-cgfiles',
        'touch /tmp/mdk-test-done',
        'sleep 600 # mdk-test-marker',
      ].join('; ')];
    });
    const created = await rt('create', '--bundle', b, 'mdk-test-lim');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(cg(path, 'memory.max'), String(64 * MIB));
    assert.equal(cg(path, 'memory.low'), String(32 * MIB));
    assert.equal(cg(path, 'pids.max'), '20');
    assert.equal(cg(path, 'cpu.max'), '50000 100000');
    assert.equal(cg(path, 'cpu.weight'), String(sharesToWeight(512)));
    assert.equal(cg(path, 'cpuset.cpus'), '0');
    assert.equal(cg(path, 'cpuset.mems'), '0');
    assert.equal(cg(path, 'io.weight'), `default ${blkioToIoWeight(500)}`);
    assert.equal(cg(path, 'hugetlb.2MB.max'), String(4 * MIB));
    assert.equal(cg(path, 'memory.high'), String(60 * MIB), 'a unified key, written as given');
    // every controller the limits need, enabled down the path
    for (const c of ['cpu', 'cpuset', 'io', 'hugetlb', 'memory', 'pids']) assert.ok(cg(PARENT, 'cgroup.subtree_control').split(' ').includes(c), c);
    const { pid } = JSON.parse((await rt('state', 'mdk-test-lim')).stdout) as { pid: number };
    assert.deepEqual(cg(path, 'cgroup.procs').split('\n'), [String(pid)]);
    assert.equal(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), `0::${path}\n`);

    assert.equal((await rt('start', 'mdk-test-lim')).code, 0);
    const inside = (f: string): string => readFileSync(join(rootfs, 'tmp', f), 'utf8');
    for (let i = 0; i < 600 && !existsSync(join(rootfs, 'tmp/mdk-test-done')); i++) await sleep(50);
    // its cgroup is the root of its cgroup namespace, and /sys/fs/cgroup inside is that cgroup
    assert.equal(inside('mdk-test-cgroup'), '0::/\n');
    assert.equal(inside('mdk-test-limits'), `${64 * MIB}\n20\n`);
    assert.match(inside('mdk-test-cgfiles'), /^memory\.max$/m);
    for (const f of ['mdk-test-cgroup', 'mdk-test-limits', 'mdk-test-cgfiles', 'mdk-test-done']) rmSync(join(rootfs, 'tmp', f));

    const u = await rtIn(JSON.stringify({ memory: { limit: 32 * MIB }, pids: { limit: 9 }, cpu: { shares: 1024, quota: 20000 } }), 'update', '--resources', '-', 'mdk-test-lim');
    assert.equal(u.code, 0, u.stderr);
    assert.equal(cg(path, 'memory.max'), String(32 * MIB));
    assert.equal(cg(path, 'pids.max'), '9');
    assert.equal(cg(path, 'cpu.weight'), String(sharesToWeight(1024)));
    assert.equal(cg(path, 'cpu.max'), '20000 100000', 'the period kept');
    const flags = await rt('update', '--memory', '48m', '--cpu-period', '50000', '--pids-limit', '-1', 'mdk-test-lim');
    assert.equal(flags.code, 0, flags.stderr);
    assert.equal(cg(path, 'memory.max'), String(48 * MIB));
    assert.equal(cg(path, 'cpu.max'), '20000 50000', 'the quota kept');
    assert.equal(cg(path, 'pids.max'), 'max');

    assert.equal((await rt('pause', 'mdk-test-lim')).code, 0);
    assert.equal(await status('mdk-test-lim'), 'paused');
    assert.equal(cg(path, 'cgroup.freeze'), '1');
    assert.match(cg(path, 'cgroup.events'), /^frozen 1$/m);
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^State:\s+S/m, 'a frozen task sleeps');
    assert.equal((await rt('resume', 'mdk-test-lim')).code, 0);
    assert.equal(await status('mdk-test-lim'), 'running');
    assert.equal(cg(path, 'cgroup.freeze'), '0');
    assert.match(cg(path, 'cgroup.events'), /^frozen 0$/m);

    const ev = await rt('events', '--stats', 'mdk-test-lim');
    assert.equal(ev.code, 0, ev.stderr);
    const stats = JSON.parse(ev.stdout) as { type: string; data: { memory: { usage: { usage: number; limit: number } }; pids: { current: number }; cpu: { usage: { total: number } } } };
    assert.equal(stats.type, 'stats');
    assert.equal(stats.data.memory.usage.limit, 48 * MIB);
    assert.ok(stats.data.memory.usage.usage > 0);
    assert.equal(stats.data.pids.current, Number(cg(path, 'pids.current')));
    assert.ok(stats.data.pids.current >= 1);
    assert.ok(stats.data.cpu.usage.total > 0);

    assert.equal((await rt('pause', 'mdk-test-lim')).code, 0);
    const del = await rt('delete', '--force', 'mdk-test-lim');
    assert.equal(del.code, 0, `a paused container is force-deleted: ${del.stderr}`);
    assert.equal(existsSync(join(CG, path)), false);
    assert.equal(existsSync(join(CG, PARENT)), false, 'the parent it made too');
  });

  test('device rules (the eBPF program), pids.max and memory.max are enforced; an OOM kill is counted in memory.events and reported by events', async () => {
    const devices = bundle((s) => {
      s.linux!.cgroupsPath = `/${PARENT}/devices`;
      // loop0 and loop1 (made here, outside) opened inside: only loop1's read is allowed
      s.linux!.resources = { ...s.linux!.resources, devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 7, minor: 1, access: 'r' }] };
      s.process!.args = ['sh', '-c', 'head -c 1 /tmp/mdk-test-l0 2>&1; head -c 1 /tmp/mdk-test-l1 2>&1; echo x > /dev/null && echo null written'];
    });
    for (const minor of ['0', '1']) execFileSync('mknod', [join(rootfs, `tmp/mdk-test-l${minor}`), 'b', '7', minor]);
    const d = await rt('run', '--bundle', devices, 'mdk-test-dev');
    for (const minor of ['0', '1']) rmSync(join(rootfs, `tmp/mdk-test-l${minor}`));
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /mdk-test-l0: Operation not permitted/);
    assert.doesNotMatch(d.stdout, /mdk-test-l1: Operation not permitted/, 'allowed by its rule: the driver answers, not the device filter');
    assert.match(d.stdout, /^null written$/m);

    const pids = bundle((s) => {
      s.linux!.cgroupsPath = `/${PARENT}/pids`;
      s.linux!.resources = { ...s.linux!.resources, pids: { limit: 5 } };
      s.process!.args = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>/dev/null; ls /proc | grep -c "^[0-9]"'];
    });
    const p = await rt('run', '--bundle', pids, 'mdk-test-pids');
    assert.ok(Number(p.stdout.trim().split('\n').at(-1)) <= 5, p.stdout);

    const path = `/${PARENT}/oom`;
    const oom = bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 16 * MIB, swap: 16 * MIB } };
      // waits to be told, so that `events` watches before the kill
      s.process!.args = ['sh', '-c', 'while [ ! -e /tmp/mdk-test-go ]; do sleep 0.1; done; x=$(head -c 64000000 /dev/zero | tr "\\\\0" a); echo survived'];
    });
    assert.equal((await rt('run', '-d', '--bundle', oom, 'mdk-test-oom')).code, 0);
    assert.equal(cg(path, 'memory.swap.max'), '0', 'OCI swap is memory+swap: none beyond the limit');
    const lines: string[] = [];
    const events = run(RUNTIME, ['--root', root, 'events', '--interval', '60s', 'mdk-test-oom'], {
      timeoutMs: SLOW,
      until: 'exit',
      onStdout: (t) => void lines.push(t),
    });
    for (let i = 0; i < 600 && lines.length === 0; i++) await sleep(50); // its first stats event: it is watching
    writeFileSync(join(rootfs, 'tmp/mdk-test-go'), '');
    const ended = await events;
    rmSync(join(rootfs, 'tmp/mdk-test-go'));
    assert.equal(ended.code, 0, ended.stderr);
    const types = ended.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string; id: string }));
    assert.deepEqual(types.filter((e) => e.type === 'oom'), [{ type: 'oom', id: 'mdk-test-oom' }], ended.stdout);
    assert.equal(await status('mdk-test-oom'), 'stopped');
    assert.match(cg(path, 'memory.events'), /^oom_kill [1-9]\d*$/m);
  });
});
