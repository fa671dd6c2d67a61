/**
 * run's host flags, on real containers: --device, --sysctl, -u with the
 * image's supplementary groups, --group-add, --pid/--ipc container:NAME,
 * --uts host, --volumes-from, --cpuset-cpus and --oom-kill-disable in the
 * cgroup, --log-driver none, -a, and --detach-keys on a terminal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PROJECT, run, until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { readCgroupLayout } from '../../src/cgroups/layout.js';

describe('run: host flags', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w);
  const hostConfig = async (name: string): Promise<Record<string, unknown>> => JSON.parse((await mdk('inspect', '--format', '{{json .HostConfig}}', name)).stdout);
  const running = async (name: string): Promise<boolean> => (await mdk('inspect', '--format', '{{.State.Running}}', name)).stdout.trim() === 'true';

  test('--device: the node made at its container path and writable; PERMS r keeps it from being written', async () => {
    const r = await mdk('run', '--rm', '--network', 'none', '--device', '/dev/null:/dev/mynull', w.image, 'sh', '-c', 'ls -l /dev/mynull; echo hi > /dev/mynull && echo written');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^crw-rw-rw- .* 1, +3 .* \/dev\/mynull\nwritten\n$/);
    const ro = await mdk('run', '--rm', '--network', 'none', '--device', '/dev/kmsg:/dev/mykmsg:r', w.image, 'sh', '-c', 'ls /dev/mykmsg; echo mdk-test > /dev/mykmsg || echo refused');
    assert.equal(ro.code, 0, ro.stderr);
    assert.match(ro.stdout, /^\/dev\/mykmsg\nrefused\n$/, 'the device cgroup allows only reading');
    assert.match(ro.stderr, /Operation not permitted/);
    const c = await mdk('create', '--name', 'mdk-test-dev', '--network', 'none', '--device', '/dev/null:/dev/mynull:rw', w.image);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual((await hostConfig('mdk-test-dev')).Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }]);
    const missing = await mdk('run', '--rm', '--network', 'none', '--device', '/dev/mdk-test-none', w.image, 'true');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/mdk-test-none": no such file or directory/);
  });

  test('--sysctl: a namespaced one is set inside; one of the host\'s kernel is refused and nothing is made', async () => {
    const r = await mdk('run', '--rm', '--network', 'none', '--sysctl', 'net.ipv4.ip_forward=1', w.image, 'cat', '/proc/sys/net/ipv4/ip_forward');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n');
    const host = await mdk('run', '--rm', '--network', 'none', '--sysctl', 'vm.swappiness=1', w.image, 'true');
    assert.equal(host.code, 125);
    assert.match(host.stderr, /^moby-dick: sysctl 'vm.swappiness' is not allowed: not namespaced: writing it would change the host's kernel/m);
    const inHostNet = await mdk('run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', w.image, 'true');
    assert.equal(inHostNet.code, 125);
    assert.match(inHostNet.stderr, /the container runs in the host's network namespace/);
    assert.equal((await mdk('ps', '-aq')).stdout, '', 'no container was made');
  });

  test('-u NAME: the groups the image\'s /etc/group gives the user, for run and exec; --group-add by name and number', async () => {
    const base = await mdk('run', '--name', 'mdk-test-base', '--network', 'none', w.image, 'sh', '-c',
      'echo "alice:x:1000:1000::/home/alice:/bin/sh" >> /etc/passwd; printf "alice:x:1000:\\nstaff:x:50:alice\\naudio:x:63:\\n" >> /etc/group');
    assert.equal(base.code, 0, base.stderr);
    const commit = await mdk('commit', 'mdk-test-base', 'mdk-test-users:latest');
    assert.equal(commit.code, 0, commit.stderr);
    const id = await mdk('run', '--rm', '--network', 'none', '-u', 'alice', 'mdk-test-users', 'id');
    assert.equal(id.code, 0, id.stderr);
    assert.match(id.stdout, /^uid=1000\(alice\) gid=1000\(alice\) groups=/);
    assert.match(id.stdout, /groups=50\(staff\)$/m, 'the supplementary groups: those that list alice');
    const added = await mdk('run', '--rm', '--network', 'none', '-u', 'alice', '--group-add', 'audio', '--group-add', '4242', 'mdk-test-users', 'id', '-G');
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(added.stdout.trim().split(' ').map(Number).sort((a, b) => a - b), [50, 63, 1000, 4242]);
    const unknown = await mdk('run', '--rm', '--network', 'none', '--group-add', 'wheel', 'mdk-test-users', 'true');
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /unable to find group wheel: no matching entries in group file/);
    assert.equal((await mdk('run', '-d', '--name', 'mdk-test-users', '--network', 'none', '--group-add', '63', 'mdk-test-users', 'sleep', '60')).code, 0);
    assert.deepEqual((await hostConfig('mdk-test-users')).GroupAdd, ['63']);
    const exec = await mdk('exec', '-u', 'alice', 'mdk-test-users', 'id', '-G');
    assert.equal(exec.code, 0, exec.stderr);
    assert.deepEqual(exec.stdout.trim().split(' ').map(Number).sort((a, b) => a - b), [50, 1000]);
  });

  test('--pid container:NAME sees its processes; --pid host sees the host\'s; a stopped one cannot be joined', async () => {
    assert.equal((await mdk('run', '-d', '--name', 'mdk-test-pid', '--network', 'none', w.image, 'sleep', '1001')).code, 0);
    const ps = await mdk('run', '--rm', '--network', 'none', '--pid', 'container:mdk-test-pid', w.image, 'ps', '-o', 'pid,args');
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\s+1 sleep 1001$/m, 'its pid 1 is the other container\'s');
    assert.equal((await hostConfig('mdk-test-pid')).PidMode, '');
    const host = await mdk('run', '--rm', '--network', 'none', '--pid', 'host', w.image, 'cat', `/proc/${process.pid}/cmdline`);
    assert.equal(host.code, 0, host.stderr);
    assert.match(host.stdout, /node/, 'this test\'s own process is seen');
    const c = await mdk('create', '--name', 'mdk-test-joiner', '--network', 'none', '--pid', 'container:mdk-test-pid', w.image, 'ps');
    assert.equal(c.code, 0, c.stderr);
    const id = JSON.parse((await mdk('inspect', '--format', '{{json .}}', 'mdk-test-pid')).stdout).Id as string;
    assert.equal((await hostConfig('mdk-test-joiner')).PidMode, `container:${id}`);
    assert.equal((await mdk('stop', '-t', '0', 'mdk-test-pid')).code, 0);
    const start = await mdk('start', 'mdk-test-joiner');
    assert.notEqual(start.code, 0);
    assert.match(start.stderr, /cannot join PID namespace of a non running container/);
  });

  test('--ipc container:NAME shares a shareable container\'s message queues; a private one is refused; --ipc none has no /dev/shm', async () => {
    assert.equal((await mdk('run', '-d', '--name', 'mdk-test-ipc', '--ipc', 'shareable', '--network', 'none', w.image, 'sh', '-c', 'touch /dev/mqueue/mdk-test-q; sleep 60')).code, 0);
    await until(async () => (await mdk('exec', 'mdk-test-ipc', 'ls', '/dev/mqueue')).stdout === 'mdk-test-q\n');
    const joined = await mdk('run', '--rm', '--network', 'none', '--ipc', 'container:mdk-test-ipc', w.image, 'ls', '/dev/mqueue');
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, 'mdk-test-q\n');
    const own = await mdk('run', '--rm', '--network', 'none', w.image, 'ls', '/dev/mqueue');
    assert.equal(own.stdout, '', 'a container of its own IPC namespace sees none');
    assert.equal((await hostConfig('mdk-test-ipc')).IpcMode, 'shareable');
    assert.equal((await mdk('run', '-d', '--name', 'mdk-test-private', '--network', 'none', w.image, 'sleep', '60')).code, 0);
    const refused = await mdk('run', '--rm', '--network', 'none', '--ipc', 'container:mdk-test-private', w.image, 'true');
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
    const none = await mdk('run', '--rm', '--network', 'none', '--ipc', 'none', w.image, 'sh', '-c', 'test -e /dev/shm && echo shm || echo no-shm');
    assert.equal(none.stdout, 'no-shm\n', none.stderr);
    const bad = await mdk('run', '--rm', '--network', 'none', '--ipc', 'shared', w.image, 'true');
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--ipc: invalid IPC mode: "shared"/);
  });

  test('--uts host: the host\'s hostname; --hostname with it is refused; --userns host only', async () => {
    const r = await mdk('run', '--rm', '--network', 'none', '--uts', 'host', w.image, 'hostname');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${hostname()}\n`);
    const both = await mdk('run', '--rm', '--network', 'none', '--uts', 'host', '--hostname', 'x', w.image, 'true');
    assert.equal(both.code, 125);
    assert.match(both.stderr, /Conflicting options: hostname and the UTS mode/);
    assert.equal((await mdk('run', '--rm', '--network', 'none', '--userns', 'host', w.image, 'true')).code, 0);
    const userns = await mdk('run', '--rm', '--network', 'none', '--userns', 'remap', w.image, 'true');
    assert.equal(userns.code, 125);
    assert.match(userns.stderr, /--userns: invalid USER mode: "remap"/);
  });

  test('--volumes-from: the other container\'s volume and bind, read-only with :ro; rm -v leaves a volume another container has', async () => {
    const dir = mkdtempSync('/tmp/mdk-test-volfrom-');
    try {
      writeFileSync(join(dir, 'f'), 'from the bind\n');
      const data = await mdk('create', '--name', 'mdk-test-data', '--network', 'none', '-v', '/data', '-v', `${dir}:/bound`, w.image);
      assert.equal(data.code, 0, data.stderr);
      const write = await mdk('run', '--name', 'mdk-test-writer', '--network', 'none', '--volumes-from', 'mdk-test-data', w.image, 'sh', '-c', 'echo shared > /data/x; cat /bound/f');
      assert.equal(write.code, 0, write.stderr);
      assert.equal(write.stdout, 'from the bind\n');
      const ro = await mdk('run', '--rm', '--network', 'none', '--volumes-from', 'mdk-test-data:ro', w.image, 'sh', '-c', 'cat /data/x; touch /data/y 2>/dev/null || echo read-only');
      assert.equal(ro.stdout, 'shared\nread-only\n', ro.stderr);
      assert.deepEqual((await hostConfig('mdk-test-writer')).VolumesFrom, ['mdk-test-data']);
      assert.equal((await mdk('rm', '-v', 'mdk-test-writer')).code, 0);
      const after = await mdk('run', '--rm', '--network', 'none', '--volumes-from', 'mdk-test-data', w.image, 'cat', '/data/x');
      assert.equal(after.stdout, 'shared\n', 'the volume is still mdk-test-data\'s');
      const bad = await mdk('run', '--rm', '--network', 'none', '--volumes-from', 'mdk-test-data:rx', w.image, 'true');
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /invalid mode for volumes-from: rx/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--cpuset-cpus 0 and --oom-kill-disable reach the cgroup; inspect shows them', async () => {
    const v1 = readCgroupLayout().version === 1;
    const file = v1 ? '/sys/fs/cgroup/cpuset/cpuset.cpus' : '/sys/fs/cgroup/cpuset.cpus';
    const r = await mdk('run', '-d', '--name', 'mdk-test-cpuset', '--network', 'none', '--cpuset-cpus', '0', '--cpuset-mems', '0', '-m', '64m', '--oom-kill-disable', w.image, 'sleep', '60');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await mdk('exec', 'mdk-test-cpuset', 'cat', file)).stdout, '0\n');
    if (v1) assert.match((await mdk('exec', 'mdk-test-cpuset', 'cat', '/sys/fs/cgroup/memory/memory.oom_control')).stdout, /^oom_kill_disable 1$/m);
    const h = await hostConfig('mdk-test-cpuset');
    assert.deepEqual([h.CpusetCpus, h.CpusetMems, h.OomKillDisable], ['0', '0', v1]);
    const many = await mdk('run', '--rm', '--network', 'none', '--cpuset-cpus', '0-4096', w.image, 'true');
    assert.equal(many.code, 125);
    assert.match(many.stderr, /Requested CPUs are not available - requested 0-4096/);
  });

  test('--cpu-period, --cpu-quota and --memory-reservation reach the cgroup; inspect shows them; --cpus with --cpu-period is refused', async () => {
    const v1 = readCgroupLayout().version === 1;
    const r = await mdk('run', '-d', '--name', 'mdk-test-cfs', '--network', 'none', '--cpu-period', '50000', '--cpu-quota', '25000', '--memory-reservation', '32m', w.image, 'sleep', '60');
    assert.equal(r.code, 0, r.stderr);
    const read = async (file: string): Promise<string> => (await mdk('exec', 'mdk-test-cfs', 'cat', file)).stdout.trim();
    if (v1) {
      assert.equal(await read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'), '50000');
      assert.equal(await read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), '25000');
      assert.equal(await read('/sys/fs/cgroup/memory/memory.soft_limit_in_bytes'), String(32 << 20));
    } else {
      assert.equal(await read('/sys/fs/cgroup/cpu.max'), '25000 50000');
      assert.equal(await read('/sys/fs/cgroup/memory.low'), String(32 << 20));
    }
    const h = await hostConfig('mdk-test-cfs');
    assert.deepEqual([h.CpuPeriod, h.CpuQuota, h.MemoryReservation], [50000, 25000, 32 << 20]);
    const both = await mdk('run', '--rm', '--network', 'none', '--cpus', '1', '--cpu-period', '50000', w.image, 'true');
    assert.equal(both.code, 125);
    assert.match(both.stderr, /Conflicting options: Nano CPUs and CPU Period cannot both be set/);
  });

  test('--log-driver none: the output is shown but not kept; logs says Docker\'s error', async () => {
    const fg = await mdk('run', '--name', 'mdk-test-nolog', '--network', 'none', '--log-driver', 'none', w.image, 'echo', 'shown');
    assert.equal(fg.code, 0, fg.stderr);
    assert.equal(fg.stdout, 'shown\n');
    const logs = await mdk('logs', 'mdk-test-nolog');
    assert.notEqual(logs.code, 0);
    assert.match(logs.stderr, /configured logging driver does not support reading/);
    assert.equal(JSON.parse((await mdk('inspect', '--format', '{{json .HostConfig.LogConfig}}', 'mdk-test-nolog')).stdout).Type, 'none');
    assert.equal((await mdk('inspect', '--format', '{{.LogPath}}', 'mdk-test-nolog')).stdout, '\n', 'no log file, as Docker shows it');
    const bad = await mdk('run', '--rm', '--network', 'none', '--log-driver', 'syslog', w.image, 'true');
    assert.equal(bad.code, 125);
  });

  test('-a stdout: only stdout is shown (the log has both); -a with -d is refused', async () => {
    const r = await mdk('run', '--name', 'mdk-test-attach', '--network', 'none', '-a', 'stdout', w.image, 'sh', '-c', 'echo out; echo err >&2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, '');
    assert.equal((await mdk('logs', 'mdk-test-attach')).stderr, 'err\n');
    const e = await mdk('run', '--rm', '--network', 'none', '-a', 'stderr', w.image, 'sh', '-c', 'echo out; echo err >&2');
    assert.deepEqual([e.stdout, e.stderr], ['', 'err\n']);
    const d = await mdk('run', '-d', '-a', 'stdout', '--network', 'none', w.image, 'true');
    assert.equal(d.code, 125);
    assert.match(d.stderr, /Conflicting options: -a and -d/);
  });

  test('--detach-keys on a terminal: the keys given detach and the container runs on; ctrl-p,ctrl-q then reach it', async () => {
    const driver = `${PROJECT}test/helpers/pty-driver.py`;
    const r = await run('python3', [driver, '24', '80', JSON.stringify([
      { expect: '# ' },
      { send: '\x10\x11echo still-$((1+1))\r' },
      { expect: 'still-2' },
      { send: '\x18x' },
    ]), `${PROJECT}build/moby-dick`, 'run', '-it', '--name', 'mdk-test-keys', '--network', 'none', '--detach-keys', 'ctrl-x,x', w.image, 'sh'], { env: w.env.env, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout);
    assert.ok(await running('mdk-test-keys'), 'it runs on after the detach');
    const bad = await mdk('run', '--rm', '--network', 'none', '--detach-keys', 'ctrl-', w.image, 'true');
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid detach key/);
  });
});
