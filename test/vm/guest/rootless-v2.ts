/**
 * Run INSIDE the cgroup-v2-only test VM (test/integration/vm-cgroup-v2.test.ts
 * boots it; by hand: test/vm/run-in-vm node build/tsc/test/vm/guest/rootless-v2.js).
 * Rootless containers with cgroup limits in a delegated subtree: a test
 * user, and a subtree delegated to it as systemd delegates user@UID.service
 * (the directory and its cgroup.procs, cgroup.subtree_control and
 * cgroup.threads chowned, the controllers cpu, memory and pids enabled from
 * the root down, io and cpuset not), the user's commands started from a
 * scope below it. moby-dick-runtime and `run --rootfs` as that user make
 * the container's cgroup beside the scope; checked from inside (its
 * /sys/fs/cgroup) and outside (the files in the delegated subtree, the
 * processes in the leaf, an OOM kill counted), update, events --stats,
 * a limit of a controller not delegated refused in one line, and removal
 * leaving the delegated directory as it was. The engine as that user: a
 * container from an image gets its cgroup there too, with -m,
 * --pids-limit and --cpus; stats and top; pause and unpause
 * (cgroup.freeze), update (and a controller not delegated refused),
 * restart, rename and system df; OOMKilled; rm -f; a build (RUN and
 * COPY --chown).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { rootlessDefaultSpec } from '../../../src/rootless/rootless-spec.js';
import type { Spec } from '../../../src/spec/schema.js';
import { RUNTIME } from '../../helpers/bundle.js';
import { CLI, type CliOptions, run, sleep } from '../../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs } from '../../helpers/rootfs.js';
import { makeTestUser, type TestUser } from '../../helpers/test-user.js';
import { busyboxArchiveFor, type Delegated, delegateTo, guestProgress, SLOW } from './guest.js';

const CG = '/sys/fs/cgroup';
const SLICE = 'mdk-test-rl.slice';
const MIB = 1024 * 1024;
const read = (file: string): string => readFileSync(file, 'utf8').trim();
const oneLine = (text: string): string => {
  assert.equal(text.trim().split('\n').length, 1, text);
  return text;
};

/** What of a cgroup directory removal must leave as it was: its child cgroups, its enabled controllers, its processes. */
function cgroupShape(dir: string): { children: string[]; subtree: string; procs: string } {
  const children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  return { children, subtree: read(join(dir, 'cgroup.subtree_control')), procs: read(join(dir, 'cgroup.procs')) };
}

describe('rootless with a delegated cgroup v2 subtree (in the VM)', () => {
  let user: TestUser;
  let rootfs = '';
  let service = ''; // the delegated cgroup, as /proc/PID/cgroup spells it
  let scope = ''; // the user's own cgroup below it
  let delegated: Delegated | undefined;
  let snap: Snapshot;
  let shape: ReturnType<typeof cgroupShape>;
  let bundles = 0;

  /** FILE ARGS as the user, started from its scope (as a login's processes are in a scope of user@UID.service). */
  const asUser = (file: string, args: readonly string[], options: CliOptions = {}) =>
    run('sh', ['-c', `echo $$ > "$0" && exec setpriv --reuid=${user.uid} --regid=${user.gid} --init-groups "$@"`, join(CG, scope, 'cgroup.procs'), file, ...args], {
      timeoutMs: SLOW,
      until: 'exit',
      ...options,
      env: { ...user.env, ...options.env },
    });
  const rt = (...args: string[]) => asUser(RUNTIME, args);
  const rtIn = (input: string, ...args: string[]) => asUser(RUNTIME, args, { input });
  const dir = (...parts: string[]): string => join(CG, service, ...parts);

  /** A bundle in the user's directory: `spec --rootless`'s defaults with CHANGE. */
  function userBundle(change: (s: Spec) => void): string {
    const b = join(user.home, `b${bundles++}`);
    mkdirSync(b);
    const spec = rootlessDefaultSpec(user.uid, user.gid);
    spec.root = { path: rootfs, readonly: false };
    spec.process!.terminal = false;
    change(spec);
    writeFileSync(join(b, 'config.json'), JSON.stringify(spec));
    chownSync(b, user.uid, user.gid);
    return b;
  }

  before(() => {
    user = makeTestUser('ranged');
    rootfs = makeBusyboxRootfs();
    delegated = delegateTo(user, SLICE, ['cpu', 'memory', 'pids']);
    ({ service, scope } = delegated);
  });
  after(() => {
    try {
      user?.remove();
    } finally {
      if (rootfs) removeRootfs(rootfs);
      delegated?.remove();
    }
    assert.equal(existsSync(join(CG, SLICE)), false);
  });
  beforeEach((t) => {
    guestProgress(`rootless: ${t.name}`);
    snap = snapshot();
    shape = cgroupShape(dir());
  });
  afterEach(async () => {
    for (const id of (await rt('list', '-q')).stdout.split('\n').filter(Boolean)) await rt('delete', '--force', id);
    assert.deepEqual(cgroupShape(dir()), shape, 'the delegated cgroup as it was: no cgroup left in it, its controllers as they were');
    await assertNoLeaks(snap, 'mdk-test-marker');
  });

  test('the test user is delegated its subtree; the guest has newuidmap', () => {
    assert.equal(read('/proc/self/cgroup').startsWith('0::'), true);
    assert.equal(read(dir('cgroup.controllers')), 'cpu memory pids');
    assert.ok(existsSync('/usr/bin/newuidmap') && existsSync('/usr/bin/newgidmap'), 'uidmap installed (the host\'s / is the guest\'s)');
  });

  test('moby-dick-runtime: limits in the delegated subtree before the process runs, seen inside; update; events --stats; a controller not delegated refused; delete', async () => {
    const id = 'mdk-test-rlcg';
    const b = userBundle((s) => {
      s.linux!.resources = { memory: { limit: 64 * MIB }, pids: { limit: 20 }, cpu: { quota: 50000, period: 100000 } };
      s.process!.args = ['sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max > /tmp/mdk-test-rl-inside; sleep 600 # mdk-test-marker'];
    });
    const created = await rt('create', '--bundle', b, id);
    assert.equal(created.code, 0, created.stderr);
    const leaf = dir('moby-dick', id);
    assert.equal(read(join(leaf, 'memory.max')), String(64 * MIB));
    assert.equal(read(join(leaf, 'pids.max')), '20');
    assert.equal(read(join(leaf, 'cpu.max')), '50000 100000');
    const { pid } = JSON.parse((await rt('state', id)).stdout) as { pid: number };
    assert.deepEqual(read(join(leaf, 'cgroup.procs')).split('\n'), [String(pid)], 'its process in the leaf');
    assert.equal(read(`/proc/${pid}/cgroup`), `0::${service}/moby-dick/${id}`);
    assert.equal(read(join(CG, scope, 'cgroup.procs')), '', 'nothing stays in the caller\'s scope');

    assert.equal((await rt('start', id)).code, 0);
    const inside = join(rootfs, 'tmp/mdk-test-rl-inside');
    for (let i = 0; i < 600 && !(existsSync(inside) && read(inside).split('\n').length === 4); i++) await sleep(50);
    assert.deepEqual(read(inside).split('\n'), ['0::/', String(64 * MIB), '20', '50000 100000'], 'its own cgroup at /sys/fs/cgroup (a cgroup namespace)');

    const u = await rt('update', '--memory', '48m', '--pids-limit', '9', id);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(read(join(leaf, 'memory.max')), String(48 * MIB));
    assert.equal(read(join(leaf, 'pids.max')), '9');
    const io = await rtIn(JSON.stringify({ blockIO: { weight: 500 } }), 'update', '--resources', '-', id);
    assert.equal(io.code, 1);
    assert.match(oneLine(io.stderr), /update: the cgroup controller io is not delegated to this user .*Delegate=/);

    const ev = await rt('events', '--stats', id);
    assert.equal(ev.code, 0, ev.stderr);
    const stats = JSON.parse(ev.stdout) as { data: { memory: { usage: { usage: number; limit: number } }; pids: { current: number; limit: number } } };
    assert.equal(stats.data.memory.usage.limit, 48 * MIB);
    assert.ok(stats.data.memory.usage.usage > 0);
    assert.equal(stats.data.pids.limit, 9);
    assert.ok(stats.data.pids.current >= 1);

    const cpuset = userBundle((s) => void (s.linux!.resources = { memory: { limit: 64 * MIB }, cpu: { cpus: '0' } }));
    const refused = await rt('run', '--bundle', cpuset, 'mdk-test-rlcs');
    assert.equal(refused.code, 1);
    assert.match(oneLine(refused.stderr), new RegExp(`linux\\.resources: the cgroup controller cpuset is not delegated to this user \\(${CG}${service}/cgroup\\.controllers: cpu memory pids\\)`));
    assert.equal(existsSync(dir('moby-dick', 'mdk-test-rlcs')), false);

    const del = await rt('delete', '--force', id);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(existsSync(dir('moby-dick')), false, 'its cgroup and the parent it made removed');
  });

  test('enforced: an OOM kill counted in the leaf\'s memory.events, pids.max; run --rootfs makes its cgroup there too', async () => {
    const id = 'mdk-test-rloom';
    const oom = userBundle((s) => {
      s.linux!.resources = { memory: { limit: 16 * MIB, swap: 16 * MIB } };
      s.process!.args = ['sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\\\0" a); echo survived'];
    });
    assert.equal((await rt('run', '-d', '--bundle', oom, id)).code, 0);
    const status = async (): Promise<string> => (JSON.parse((await rt('state', id)).stdout) as { status: string }).status;
    for (let i = 0; i < 120 && (await status()) !== 'stopped'; i++) await sleep(500);
    assert.equal(await status(), 'stopped');
    assert.match(read(dir('moby-dick', id, 'memory.events')), /^oom_kill [1-9]\d*$/m);
    assert.equal((await rt('delete', id)).code, 0);

    const pids = userBundle((s) => {
      s.linux!.resources = { pids: { limit: 5 } };
      // a subshell forks until the limit (a failed fork ends it); then the shell and three sleeps are left
      // (no fork for read and echo): 9 without the limit
      s.process!.args = ['sh', '-c', '(for i in 1 2 3 4 5 6 7 8; do sleep 5 & done) 2>/dev/null; read n < /sys/fs/cgroup/pids.current; echo "$n"'];
    });
    const p = await rt('run', '--bundle', pids, 'mdk-test-rlpids');
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, '4\n');

    // run --rootfs: the jail's cgroup below the delegated one while it runs, gone (its parent too) after
    const up = join(rootfs, 'tmp/mdk-test-rl-jail');
    const jail = asUser(CLI, ['run', '--rootfs', rootfs, 'sh', '-c', 'touch /tmp/mdk-test-rl-jail; cat /proc/self/cgroup; sleep 600 # mdk-test-marker']);
    for (let i = 0; i < 1200 && !existsSync(up); i++) await sleep(50);
    const jails = readdirSync(dir('moby-dick-jail')).filter((n) => /^[0-9a-f]{16}$/.test(n));
    assert.equal(jails.length, 1, String(jails));
    const [pid1] = read(dir('moby-dick-jail', jails[0]!, 'cgroup.procs')).split('\n').map(Number);
    assert.ok(pid1! > 0);
    assert.equal(read(`/proc/${pid1}/status`).match(/^Uid:\s+(\d+)/m)?.[1], String(user.uid));
    process.kill(pid1!, 'SIGKILL');
    const ended = await jail;
    assert.equal(ended.code, 137, ended.stderr);
    assert.equal(ended.stdout, '0::/\n');
    assert.equal(existsSync(dir('moby-dick-jail')), false);
  });

  test('the engine: a container from an image gets its cgroup below the delegated one, with its limits; stats, top; pause, update, restart, rename, system df; OOMKilled; a controller not delegated refused; rm leaves the subtree as it was', async () => {
    const image = 'mdk-test-vm/rootless:latest';
    // the user's store on ext4: tmpfs holds user.* xattrs (overlay's userxattr, opaque directories) only from kernel 6.6
    const data = join(user.home, 'ext4');
    const disk = join(user.home, 'ext4.img');
    mkdirSync(data);
    execFileSync('modprobe', ['-a', 'loop', 'ext4']);
    execFileSync('truncate', ['-s', '160M', disk]);
    execFileSync('mkfs.ext4', ['-q', disk]);
    execFileSync('mount', ['-o', 'loop', disk, data]);
    try {
      await engineContainers(data, image);
    } finally {
      execFileSync('umount', [data]);
      rmSync(disk);
    }
  });

  /** The engine's containers as the user, its store on DATA (the checks of the test above). */
  async function engineContainers(data: string, image: string): Promise<void> {
    chownSync(data, user.uid, user.gid);
    const mdk = (...args: string[]) => asUser(CLI, args, { env: { XDG_DATA_HOME: data } });
    const ok = async (...args: string[]): Promise<string> => {
      const r = await mdk(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    // the busybox rootfs as an OCI archive the user loads: no registry inside
    const archive = busyboxArchiveFor(user, rootfs, image);
    await ok('load', '-q', '-i', archive);

    const id = await ok('run', '-d', '--network', 'none', '--name', 'mdk-test-rleng', '-m', '64m', '--pids-limit', '20', '--cpus', '0.5', image, 'sh', '-c', 'sleep 600 # mdk-test-marker');
    try {
      const leaf = dir('moby-dick', id);
      assert.equal(read(join(leaf, 'memory.max')), String(64 * MIB));
      assert.equal(read(join(leaf, 'pids.max')), '20');
      assert.equal(read(join(leaf, 'cpu.max')), '50000 100000');
      const pid = (JSON.parse(await ok('inspect', id)) as { State: { Pid: number } }[])[0]!.State.Pid;
      assert.equal(read(`/proc/${pid}/cgroup`), `0::${service}/moby-dick/${id}`);
      assert.equal(await ok('exec', id, 'cat', '/proc/self/cgroup', '/sys/fs/cgroup/memory.max'), `0::/\n${64 * MIB}`);
      const stats = await ok('stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}|{{.PIDs}}', id);
      assert.match(stats, /^mdk-test-rleng\|[\d.]+[KM]?i?B \/ 64MiB\|[12]$/);
      const top = await ok('top', id);
      assert.match(top, /sleep 600/);

      // pause and unpause: cgroup.freeze of its cgroup in the delegated subtree
      await ok('pause', id);
      assert.equal(read(join(leaf, 'cgroup.freeze')), '1');
      for (let i = 0; i < 100 && !/^frozen 1$/m.test(read(join(leaf, 'cgroup.events'))); i++) await sleep(50);
      assert.match(read(join(leaf, 'cgroup.events')), /^frozen 1$/m);
      assert.equal((JSON.parse(await ok('inspect', id)) as { State: { Status: string } }[])[0]!.State.Status, 'paused');
      await ok('unpause', id);
      assert.equal(read(join(leaf, 'cgroup.freeze')), '0');
      assert.equal((JSON.parse(await ok('inspect', id)) as { State: { Status: string } }[])[0]!.State.Status, 'running');
      // update: the new limits written there; a controller not delegated refused in one line
      await ok('update', '-m', '96m', '--pids-limit', '30', id);
      assert.equal(read(join(leaf, 'memory.max')), String(96 * MIB));
      assert.equal(read(join(leaf, 'pids.max')), '30');
      const cpuset = await mdk('update', '--cpuset-cpus', '0', id);
      assert.notEqual(cpuset.code, 0);
      assert.match(oneLine(cpuset.stderr), /--cpuset-cpus: the cgroup controller cpuset is not delegated to this user/);
      // restart: a new process, in the cgroup again with the updated limits; rename
      await ok('restart', '-t', '0', id);
      const again = (JSON.parse(await ok('inspect', id)) as { State: { Pid: number } }[])[0]!.State.Pid;
      assert.notEqual(again, pid);
      assert.equal(read(`/proc/${again}/cgroup`), `0::${service}/moby-dick/${id}`);
      assert.equal(read(join(leaf, 'memory.max')), String(96 * MIB));
      await ok('rename', 'mdk-test-rleng', 'mdk-test-rleng2');
      assert.match(await ok('system', 'df'), /^Containers +1 +1 /m);
    } finally {
      assert.equal((await mdk('rm', '-f', id)).code, 0);
    }
    assert.equal(existsSync(dir('moby-dick')), false, 'its cgroup and the parent gone');

    const refused = await mdk('run', '--rm', '--network', 'none', '--cpuset-cpus', '0', image, 'true');
    assert.equal(refused.code, 125);
    assert.match(oneLine(refused.stderr), /--cpuset-cpus: the cgroup controller cpuset is not delegated to this user/);

    const oom = await mdk('run', '--network', 'none', '--name', 'mdk-test-rleng-oom', '-m', '16m', '--memory-swap', '16m', image, 'sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived');
    assert.notEqual(oom.code, 0, oom.stdout);
    const state = (JSON.parse(await ok('inspect', 'mdk-test-rleng-oom')) as { State: { OOMKilled: boolean } }[])[0]!.State;
    assert.equal(state.OOMKilled, true);
    await ok('rm', 'mdk-test-rleng-oom');

    // build as the user: a RUN container (its cgroup below the delegated one too), COPY --chown written in the user namespace
    const ctx = join(user.home, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'f.txt'), 'copied\n');
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${image}\nRUN cut -d: -f3 /proc/self/cgroup > /cg\nCOPY --chown=5:6 f.txt /f.txt\n`);
    for (const f of ['', 'f.txt', 'Dockerfile']) chownSync(join(ctx, f), user.uid, user.gid);
    await ok('build', '-q', '--network', 'none', '-t', 'mdk-test-vm/built', ctx);
    const built = await ok('run', '--rm', '--network', 'none', 'mdk-test-vm/built', 'sh', '-c', 'cat /cg /f.txt; stat -c %u:%g /f.txt');
    assert.equal(built, '/\ncopied\n5:6', 'the RUN saw its own cgroup namespace; the copied file owned as --chown says');
    await ok('rmi', 'mdk-test-vm/built');
    assert.equal(existsSync(dir('moby-dick')), false, 'the RUN container\'s cgroup gone');
    await ok('rmi', image);
  }
});
