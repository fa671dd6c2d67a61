/**
 * Rootless containers: the original form, `run --rootfs` and
 * moby-dick-runtime run by an ordinary user the test makes (with a range in
 * /etc/subuid and /etc/subgid, and without one), checked from inside (the
 * maps, id, hostname, the links) and from outside (the container's processes
 * and files are the user's on the host), and what is refused in one line.
 */
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { CLI, sleep } from '../helpers/cli.js';
import { RUNTIME } from '../helpers/bundle.js';
import { assertNoLeaks, processesWith, type Snapshot, snapshot } from '../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';
import { makeTestUser, type TestUser } from '../helpers/test-user.js';
import { rootlessDefaultSpec } from '../../src/rootless/rootless-spec.js';
import type { Spec } from '../../src/spec/schema.js';

/** The Uid: line of /proc/PID/status: real, effective, saved, fs. */
function hostUids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:')) ?? '';
  return line.split(/\s+/).slice(1).map(Number);
}

/** The map lines of TEXT (a uid_map) as [inside, outside, count]. */
function mapLines(text: string): number[][] {
  return text.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
}

/** Waits until a process with MARKER in its command line runs, and returns its pid. */
async function markedPid(marker: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const found = processesWith(marker).filter((p) => !p.exe.includes('mdk-init') && !p.cmdline.startsWith('setpriv') && !p.exe.endsWith('/moby-dick') && !p.exe.includes('node'));
    if (found.length) return found[0]!.pid;
    await sleep(20);
  }
  throw new Error(`no process with ${marker}`);
}

describe('rootless: an ordinary user', () => {
  let ranged: TestUser;
  let single: TestUser;
  let rootfs: string;
  let snap: Snapshot;
  before(() => {
    ranged = makeTestUser('ranged');
    single = makeTestUser('single');
    rootfs = makeBusyboxRootfs();
  });
  after(() => {
    try {
      ranged?.remove();
    } finally {
      single?.remove();
      if (rootfs) removeRootfs(rootfs);
    }
    for (const file of ['/etc/passwd', '/etc/group', '/etc/subuid', '/etc/subgid']) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const u of [ranged, single]) assert.ok(!lines.some((l) => l.startsWith(`${u.name}:`)), `${u.name} left in ${file}`);
    }
  });
  beforeEach(() => {
    snap = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(snap);
  });

  test('the original form: root inside is the user, with the /etc/subuid range as 1..; hostname, only lo down', async () => {
    const r = await ranged.run(CLI, ['sh', '-c', 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; id -g; hostname; ip -o link']);
    assert.equal(r.code, 0, r.stderr);
    const [uidMap, gidMap, rest] = r.stdout.split('--\n');
    assert.deepEqual(mapLines(uidMap!), [[0, ranged.uid, 1], [1, ranged.sub!.start, ranged.sub!.count]]);
    assert.deepEqual(mapLines(gidMap!), [[0, ranged.gid, 1], [1, ranged.sub!.start, ranged.sub!.count]]);
    const lines = rest!.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['0', '0', 'containerhostname']);
    assert.equal(lines.length, 4, rest);
    assert.match(lines[3]!, /^1: lo: <LOOPBACK> .*state DOWN/);
  });

  test('the original form without a range: the user alone, setgroups denied; the process is the user\'s uid on the host', async () => {
    const marker = `mdk-test-rl-marker-${process.pid}`;
    let out = '';
    const running = single.run(CLI, ['sh', '-c', 'cat /proc/self/uid_map /proc/self/setgroups; id -u; sleep 30; true', marker], { onStdout: (t) => void (out += t) });
    const pid = await markedPid(marker);
    assert.deepEqual(hostUids(pid), [single.uid, single.uid, single.uid, single.uid]);
    // killed once it has printed (in the test VM the shell is found long before it has)
    for (let i = 0; i < 1500 && out.split('\n').length < 4; i++) await sleep(20);
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')), [`0 ${single.uid} 1`, 'deny', '0']);
  });

  test('the original form gains nothing: root inside cannot write the host\'s files or read its secrets', async () => {
    const probe = `/etc/mdk-test-rl-${process.pid}`;
    const r = await ranged.run(CLI, ['sh', '-c', `touch ${probe} || echo no-write; cat /etc/shadow >/dev/null 2>&1 || echo no-shadow; hostname mdk-test-inside && hostname`]);
    assert.equal(r.stdout, 'no-write\nno-shadow\nmdk-test-inside\n', r.stderr);
    assert.equal(existsSync(probe), false);
    assert.notEqual(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'mdk-test-inside');
  });

  test('run --rootfs: root inside, its own hostname and lo; files it writes are the user\'s (and the range\'s) on the host', async () => {
    const r = await ranged.run(CLI, ['run', '--rootfs', rootfs, 'sh', '-c', 'id -u; hostname; ip -o link | wc -l; cat /proc/self/uid_map | wc -l; touch /tmp/mdk-test-own; touch /tmp/mdk-test-sub && chown 1000:1000 /tmp/mdk-test-sub && echo chowned']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), ['0', 'containerhostname', '1', '2', 'chowned']);
    const own = statSync(join(rootfs, 'tmp/mdk-test-own'));
    assert.deepEqual([own.uid, own.gid], [ranged.uid, ranged.gid]);
    const sub = statSync(join(rootfs, 'tmp/mdk-test-sub'));
    assert.deepEqual([sub.uid, sub.gid], [ranged.sub!.start + 999, ranged.sub!.start + 999]);
  });

  test('run --rootfs without a range: uid 0 only; another id inside is refused', async () => {
    const r = await single.run(CLI, ['run', '--rootfs', rootfs, 'sh', '-c', 'cat /proc/self/uid_map; chown 1000 /tmp 2>/dev/null || echo refused']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')), [`0 ${single.uid} 1`, 'refused']);
  });

  test('-u to an id the user namespace does not map: one line naming it, the mapped ranges and what to do', async () => {
    const r1 = await single.run(CLI, ['run', '--rootfs', rootfs, '-u', '1000', 'id', '-u']);
    assert.equal(r1.code, 125);
    assert.equal(r1.stdout, '');
    assert.equal(r1.stderr.trim().split('\n').length, 1, r1.stderr);
    assert.match(r1.stderr, /^moby-dick: -u: uid 1000 is not mapped in the container's user namespace \(mapped uids: 0\) \(give \S+ a range in \/etc\/subuid and \/etc\/subgid/);
    const beyond = ranged.sub!.count + 1;
    const r2 = await ranged.run(CLI, ['run', '--rootfs', rootfs, '-u', `${beyond}`, 'id', '-u']);
    assert.equal(r2.code, 125);
    assert.equal(r2.stderr.trim().split('\n').length, 1, r2.stderr);
    assert.match(r2.stderr, new RegExp(`uid ${beyond} is not mapped .*\\(mapped uids: 0, 1-${ranged.sub!.count}\\) \\(pick an id in 0, 1-${ranged.sub!.count}`));
    // a mapped id still runs as that id
    const r3 = await ranged.run(CLI, ['run', '--rootfs', rootfs, '-u', '1000', 'id', '-u']);
    assert.equal(r3.code, 0, r3.stderr);
    assert.equal(r3.stdout.trim(), '1000');
  });

  /** A bundle in the user's own directory, from `spec --rootless`'s defaults with CHANGE. */
  function userBundle(user: TestUser, name: string, change: (s: Spec) => void): string {
    const dir = join(user.home, name);
    mkdirSync(dir);
    const spec = rootlessDefaultSpec(user.uid, user.gid);
    spec.root = { path: rootfs, readonly: false };
    spec.process!.terminal = false;
    change(spec);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
    chownSync(dir, user.uid, user.gid);
    return dir;
  }

  test('moby-dick-runtime: spec --rootless, run, create/start/exec/kill/delete, state under $XDG_RUNTIME_DIR/moby-dick', async () => {
    const b = userBundle(single, 'b1', (s) => void (s.process!.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map; hostname']));
    const r = await single.run(RUNTIME, ['run', '--bundle', b, 'mdk-test-rl1'], { until: 'exit' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')), ['0', `0 ${single.uid} 1`, 'moby-dick']);

    const b2 = userBundle(single, 'b2', (s) => void (s.process!.args = ['sleep', '30']));
    const created = await single.run(RUNTIME, ['create', '--bundle', b2, 'mdk-test-rl2'], { until: 'exit' });
    assert.equal(created.code, 0, created.stderr);
    assert.ok(existsSync(join(single.env.XDG_RUNTIME_DIR!, 'moby-dick', 'mdk-test-rl2')), 'state under XDG_RUNTIME_DIR');
    assert.equal((await single.run(RUNTIME, ['start', 'mdk-test-rl2'], { until: 'exit' })).code, 0);
    const state = JSON.parse((await single.run(RUNTIME, ['state', 'mdk-test-rl2'], { until: 'exit' })).stdout) as { pid: number; status: string };
    assert.equal(state.status, 'running');
    assert.deepEqual(hostUids(state.pid), [single.uid, single.uid, single.uid, single.uid]);
    const ex = await single.run(RUNTIME, ['exec', 'mdk-test-rl2', 'sh', '-c', 'id -u; echo $$'], { until: 'exit' });
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout.split('\n')[0], '0');
    assert.notEqual(ex.stdout.split('\n')[1], '1', 'a new process in its pid namespace, not pid 1');
    assert.equal((await single.run(RUNTIME, ['kill', 'mdk-test-rl2', 'KILL'], { until: 'exit' })).code, 0);
    for (let i = 0; i < 200 && existsSync(`/proc/${state.pid}`) && !readFileSync(`/proc/${state.pid}/stat`, 'utf8').includes(') Z'); i++) await sleep(10);
    const del = await single.run(RUNTIME, ['delete', 'mdk-test-rl2'], { until: 'exit' });
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(readdirSync(join(single.env.XDG_RUNTIME_DIR!, 'moby-dick')), []);
  });

  test('moby-dick-runtime: with the user\'s range through newuidmap, a process as uid 1000 inside is the range\'s on the host', async () => {
    const marker = `mdk-test-rl-sub-${process.pid}`;
    const b = userBundle(ranged, 'b3', (s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: ranged.uid, size: 1 }, { containerID: 1, hostID: ranged.sub!.start, size: ranged.sub!.count }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: ranged.gid, size: 1 }, { containerID: 1, hostID: ranged.sub!.start, size: ranged.sub!.count }];
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.args = ['sh', '-c', 'sleep 30; true', marker];
    });
    const running = ranged.run(RUNTIME, ['run', '--bundle', b, 'mdk-test-rl3'], { until: 'exit' });
    const pid = await markedPid(marker);
    const id = ranged.sub!.start + 999;
    assert.deepEqual(hostUids(pid), [id, id, id, id]);
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.equal(r.code, 137, r.stderr);
  });

  test('refused in one line each: limits, no user namespace, a map beyond the user\'s ranges, the engine\'s container commands, --rootless false', async () => {
    const oneLine = (text: string): string => {
      assert.equal(text.trim().split('\n').length, 1, text);
      return text;
    };
    const limits = userBundle(single, 'b4', (s) => void (s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 50 } }));
    const r1 = await single.run(RUNTIME, ['run', '--bundle', limits, 'mdk-test-rl4'], { until: 'exit' });
    assert.equal(r1.code, 1);
    assert.match(oneLine(r1.stderr), /linux\.resources\.memory, linux\.resources\.pids: cgroup limits are not available to a rootless container/);

    const noUserns = userBundle(single, 'b5', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user');
      delete s.linux!.uidMappings;
      delete s.linux!.gidMappings;
    });
    const r2 = await single.run(RUNTIME, ['run', '--bundle', noUserns, 'mdk-test-rl5'], { until: 'exit' });
    assert.equal(r2.code, 1);
    assert.match(oneLine(r2.stderr), /linux\.namespaces: a rootless container needs a new user namespace/);

    const foreign = userBundle(single, 'b6', (s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
    });
    const r3 = await single.run(RUNTIME, ['run', '--bundle', foreign, 'mdk-test-rl6'], { until: 'exit' });
    assert.equal(r3.code, 1);
    assert.match(oneLine(r3.stderr), /newuidmap failed/);

    // refused before any image is looked up (none is pulled)
    for (const [args, words] of [[['run', '--rm', '--network', 'mdk-test-rl-net', 'busybox', 'true'], /^moby-dick: --network mdk-test-rl-net: user-defined networks need root/], [['create', '--network', 'none', '--privileged', 'busybox'], /^moby-dick: --privileged: /]] as const) {
      const r = await single.run(CLI, args);
      assert.equal(r.code, 125);
      assert.match(oneLine(r.stderr), words);
    }
    const containers = join(single.env.XDG_DATA_HOME!, 'moby-dick', 'containers');
    assert.ok(!existsSync(containers) || readdirSync(containers).length === 0, 'no container made');

    const r4 = await single.run(RUNTIME, ['--rootless', 'false', 'list'], { until: 'exit' });
    assert.match(oneLine(r4.stderr), /--rootless false: not running as root/);
    assert.deepEqual(readdirSync(join(single.env.XDG_RUNTIME_DIR!, 'moby-dick')), []);
  });
});
