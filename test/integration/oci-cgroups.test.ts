/** moby-dick-runtime and cgroups (v1 on these machines): limits, placement, pause, update, stats, removal. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { run, sleep } from '../helpers/cli.js';
import { RUNTIME, runtime } from '../helpers/bundle.js';
import { useOci } from '../helpers/fixtures.js';
import { OciRuntime, StateStore } from '../../src/index.js';

const CG = '/sys/fs/cgroup';
const cgFile = (controller: string, path: string, file: string): string => readFileSync(join(CG, controller, path, file), 'utf8').trim();

describe('moby-dick-runtime cgroups (v1)', () => {
  const fx = useOci();
  const { rt, bundle } = fx;
  const status = async (id: string): Promise<string> => (await fx.state(id)).status;
  afterEach(() => assert.equal(existsSync(join(CG, 'memory', 'mdk-test-cg')), false, 'cgroups removed'));

  test('limits are written before the process runs, it runs in them, and delete removes them', async () => {
    const path = '/mdk-test-cg/limits';
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20 }, pids: { limit: 20 }, cpu: { shares: 512, quota: 50000, period: 100000 } };
      s.process!.args = ['sh', '-c', 'cat /proc/self/cgroup > /tmp/mdk-test-cgroup; sleep 30 # mdk-test-marker'];
    });
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-lim')).code, 0);
    assert.equal(cgFile('memory', path, 'memory.limit_in_bytes'), String(64 << 20));
    assert.equal(cgFile('pids', path, 'pids.max'), '20');
    assert.equal(cgFile('cpu', path, 'cpu.shares'), '512');
    assert.equal(cgFile('cpu', path, 'cpu.cfs_quota_us'), '50000');
    const { pid } = JSON.parse((await rt('state', 'mdk-test-lim')).stdout) as { pid: number };
    for (const c of ['memory', 'pids', 'cpu', 'freezer', 'devices']) assert.ok(cgFile(c, path, 'cgroup.procs').split('\n').includes(String(pid)), c);
    assert.match(cgFile('devices', path, 'devices.list'), /^c 1:3 rwm$/m);
    assert.doesNotMatch(cgFile('devices', path, 'devices.list'), /^a \*:\* rwm$/m);
    assert.equal((await rt('start', 'mdk-test-lim')).code, 0);
    for (let i = 0; i < 100 && !existsSync(join(fx.rootfs, 'tmp/mdk-test-cgroup')); i++) await sleep(10);
    // inside, its own cgroup is the root of its cgroup namespace
    assert.match(readFileSync(join(fx.rootfs, 'tmp/mdk-test-cgroup'), 'utf8'), /^\d+:memory:\/$/m);
    rmSync(join(fx.rootfs, 'tmp/mdk-test-cgroup'));
    assert.equal((await rt('delete', '--force', 'mdk-test-lim')).code, 0);
    assert.equal(existsSync(join(CG, 'memory', path)), false);
  });

  test('a limit the kernel refuses fails create, naming the cgroup, and leaves no helper, no process, no cgroup', async () => {
    const b = bundle((s) => {
      s.linux!.cgroupsPath = '/mdk-test-cg/refused';
      // no such CPU: the cpuset write fails while the new process waits at its cgroup sync point
      s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '1000' } };
      s.process!.args = ['sleep', '30'];
    });
    const r = await rt('create', '--bundle', b, 'mdk-test-refused');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cpuset\.cpus/);
    assert.equal((await rt('state', 'mdk-test-refused')).code, 1, 'no state left');
    // afterEach: no helper or container process, no cgroup
  });

  test('the same under a monitor (the engine\'s way, where the helper stays): the waiting process is killed, the monitor ends', async () => {
    const b = bundle((s) => {
      s.linux!.cgroupsPath = '/mdk-test-cg/refused-monitored';
      s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '1000' } };
      s.process!.args = ['sleep', '30'];
    });
    const lib = new OciRuntime(new StateStore(fx.root));
    await assert.rejects(lib.create('mdk-test-refused-mon', { bundle: b, monitor: { exitFile: join(fx.root, 'mdk-test-exit.json') } }), /cpuset\.cpus/);
    // afterEach: no helper (the monitor) or container process left, no cgroup
  });

  test('the limits are enforced: pids and memory', async () => {
    const b = bundle((s) => {
      s.linux!.cgroupsPath = '/mdk-test-cg/enforced';
      s.linux!.resources = { ...s.linux!.resources, pids: { limit: 5 } };
      s.process!.args = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>/dev/null; echo forked; ls /proc | grep -c "^[0-9]"'];
    });
    const r = await rt('run', '--bundle', b, 'mdk-test-pids');
    assert.ok(Number(r.stdout.trim().split('\n').at(-1)) <= 5, r.stdout);
    const m = bundle((s) => {
      s.linux!.cgroupsPath = '/mdk-test-cg/oom';
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 16 << 20, swap: 16 << 20 } };
      s.process!.args = ['sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\\\0" a); echo survived'];
    });
    const oom = await rt('run', '--bundle', m, 'mdk-test-oom');
    assert.doesNotMatch(oom.stdout, /survived/);
    assert.notEqual(oom.code, 0);
  });

  test('events reports an OOM kill as runc does ({"type":"oom"}, from memory.oom_control), then ends with the container', async () => {
    const b = bundle((s) => {
      s.linux!.cgroupsPath = '/mdk-test-cg/oom-event';
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 16 << 20, swap: 16 << 20 } };
      s.process!.args = ['sh', '-c', 'while [ ! -e /tmp/mdk-test-go ]; do sleep 0.05; done; x=a; while true; do x="$x$x"; done'];
    });
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-oom-ev')).code, 0);
    let first = '';
    const events = run(RUNTIME, ['--root', fx.root, 'events', '--interval', '60s', 'mdk-test-oom-ev'], { until: 'exit', onStdout: (t) => void (first ||= t) });
    for (let i = 0; i < 200 && first === ''; i++) await sleep(10); // its first stats event: it is watching
    writeFileSync(join(fx.rootfs, 'tmp/mdk-test-go'), '');
    const ended = await events;
    rmSync(join(fx.rootfs, 'tmp/mdk-test-go'));
    assert.equal(ended.code, 0, ended.stderr);
    const types = ended.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(types, ['stats', 'oom'], ended.stdout);
    assert.equal(await status('mdk-test-oom-ev'), 'stopped');
  });

  test('pause freezes every process, resume thaws them; state says so', async () => {
    const path = '/mdk-test-cg/pause';
    const b = bundle((s) => void (s.linux!.cgroupsPath = path));
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-p')).code, 0);
    assert.equal((await rt('pause', 'mdk-test-p')).code, 0);
    assert.equal(await status('mdk-test-p'), 'paused');
    assert.equal(cgFile('freezer', path, 'freezer.state'), 'FROZEN');
    const again = await rt('pause', 'mdk-test-p');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /is not running/);
    assert.equal((await rt('resume', 'mdk-test-p')).code, 0);
    assert.equal(await status('mdk-test-p'), 'running');
    assert.equal(cgFile('freezer', path, 'freezer.state'), 'THAWED');
    assert.equal((await rt('pause', 'mdk-test-p')).code, 0);
    assert.equal((await rt('delete', '--force', 'mdk-test-p')).code, 0, 'a paused container can be force-deleted');
  });

  test('update raises and lowers memory and memory+swap together on v1 (memsw may never be below the limit)', async () => {
    const path = '/mdk-test-cg/memsw';
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20, swap: 64 << 20 } };
    });
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-memsw')).code, 0);
    for (const mib of [128, 32]) {
      // as containerd's CRI sends UpdateContainerResources: swap equal to the limit
      const u = await runtime(fx.root, ['update', '--resources', '-', 'mdk-test-memsw'], { input: JSON.stringify({ memory: { limit: mib << 20, swap: mib << 20 } }) });
      assert.equal(u.code, 0, `${mib} MiB: ${u.stderr}`);
      assert.equal(cgFile('memory', path, 'memory.limit_in_bytes'), String(mib << 20));
      assert.equal(cgFile('memory', path, 'memory.memsw.limit_in_bytes'), String(mib << 20));
    }
  });

  test("update with runc's flags (no --resources): sizes with units, -1 for unlimited; the swap alone keeps the memory limit", async () => {
    const path = '/mdk-test-cg/flags';
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20, swap: 64 << 20 }, pids: { limit: 30 } };
    });
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-flags')).code, 0);
    const u = await rt('update', '--memory', '96m', '--memory-swap', '192m', '--pids-limit', '-1', '--cpu-quota', '50000', '--cpu-period', '100000', 'mdk-test-flags');
    assert.equal(u.code, 0, u.stderr);
    assert.equal(cgFile('memory', path, 'memory.limit_in_bytes'), String(96 << 20));
    assert.equal(cgFile('memory', path, 'memory.memsw.limit_in_bytes'), String(192 << 20));
    assert.equal(cgFile('pids', path, 'pids.max'), 'max');
    assert.equal(cgFile('cpu', path, 'cpu.cfs_quota_us'), '50000');
    const swap = await rt('update', '--memory-swap', '256m', 'mdk-test-flags');
    assert.equal(swap.code, 0, swap.stderr);
    assert.equal(cgFile('memory', path, 'memory.limit_in_bytes'), String(96 << 20));
    assert.equal(cgFile('memory', path, 'memory.memsw.limit_in_bytes'), String(256 << 20));
    const none = await rt('update', 'mdk-test-flags');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /update needs --resources FILE \(or - for stdin\), or a limit flag/);
  });

  test('update changes limits; events --stats reads them back', async () => {
    const path = '/mdk-test-cg/update';
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20 } };
    });
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-u')).code, 0);
    const u = await runtime(fx.root, ['update', '--resources', '-', 'mdk-test-u'], { input: JSON.stringify({ memory: { limit: 32 << 20 }, pids: { limit: 9 } }) });
    assert.equal(u.code, 0, u.stderr);
    assert.equal(cgFile('memory', path, 'memory.limit_in_bytes'), String(32 << 20));
    assert.equal(cgFile('pids', path, 'pids.max'), '9');
    const bad = await runtime(fx.root, ['update', '--resources', '-', 'mdk-test-u'], { input: '{"memory":{"limit":"lots"}}' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /memory\.limit: expected number/);
    const ev = JSON.parse((await rt('events', '--stats', 'mdk-test-u')).stdout) as { type: string; data: { memory: { usage: { usage: number; limit: number } }; pids: { current: number; limit: number } } };
    assert.equal(ev.type, 'stats');
    assert.ok(ev.data.memory.usage.usage > 0);
    assert.equal(ev.data.memory.usage.limit, 32 << 20);
    assert.equal(ev.data.pids.current, 1);
    assert.equal(ev.data.pids.limit, 9);
  });

  test('exec joins the container\'s cgroups; ps and kill --all use them', async () => {
    const path = '/mdk-test-cg/exec';
    const b = bundle((s) => void (s.linux!.cgroupsPath = path));
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-e')).code, 0);
    const pidFile = join(b, 'exec.pid');
    assert.equal((await rt('exec', '-d', '--pid-file', pidFile, 'mdk-test-e', 'sleep', '34')).code, 0);
    const execPid = readFileSync(pidFile, 'utf8');
    assert.ok(cgFile('memory', path, 'cgroup.procs').split('\n').includes(execPid));
    const ps = JSON.parse((await rt('ps', '--format', 'json', 'mdk-test-e')).stdout) as number[];
    assert.equal(ps.length, 2);
    assert.ok(ps.includes(Number(execPid)));
    assert.equal((await rt('kill', '--all', 'mdk-test-e', 'KILL')).code, 0);
    for (let i = 0; i < 100 && (await status('mdk-test-e')) !== 'stopped'; i++) await sleep(10);
    assert.equal(await status('mdk-test-e'), 'stopped');
  });
});
