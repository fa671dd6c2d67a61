/** moby-dick-runtime, driven as containerd's shim and conmon drive runc. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PROJECT, run, sleep } from '../helpers/cli.js';
import { runtime } from '../helpers/bundle.js';
import { type OciState as State, useOci } from '../helpers/fixtures.js';

describe('moby-dick-runtime (OCI runtime, runc command line)', () => {
  const fx = useOci();
  const { rt, bundle, state } = fx;

  test('create parks the container; state says created; start runs it; delete removes it', async () => {
    const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'echo started > /tmp/mdk-test-started; sleep 30 # mdk-test-marker']));
    const pidFile = join(b, 'pid');
    const created = await rt('create', '--bundle', b, '--pid-file', pidFile, 'mdk-test-c1');
    assert.equal(created.code, 0, created.stderr);
    const s1 = await state('mdk-test-c1');
    assert.equal(s1.status, 'created');
    assert.equal(Number(readFileSync(pidFile, 'utf8')), s1.pid);
    assert.equal(s1.bundle, b);
    assert.equal(s1.rootfs, fx.rootfs);
    assert.equal(existsSync(join(fx.rootfs, 'tmp/mdk-test-started')), false, 'the command has not run yet');

    assert.equal((await rt('start', 'mdk-test-c1')).code, 0);
    assert.equal((await state('mdk-test-c1')).status, 'running');
    for (let i = 0; i < 100 && !existsSync(join(fx.rootfs, 'tmp/mdk-test-started')); i++) await sleep(10);
    assert.equal(readFileSync(join(fx.rootfs, 'tmp/mdk-test-started'), 'utf8'), 'started\n');
    rmSync(join(fx.rootfs, 'tmp/mdk-test-started'));

    const notStopped = await rt('delete', 'mdk-test-c1');
    assert.notEqual(notStopped.code, 0);
    assert.match(notStopped.stderr, /cannot delete container mdk-test-c1 that is not stopped: running/);
    assert.equal((await rt('kill', 'mdk-test-c1', 'KILL')).code, 0);
    for (let i = 0; i < 100 && (await state('mdk-test-c1')).status !== 'stopped'; i++) await sleep(10);
    const stopped = await state('mdk-test-c1');
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.pid, 0);
    assert.equal((await rt('delete', 'mdk-test-c1')).code, 0);
    const gone = await rt('state', 'mdk-test-c1');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /does not exist/);
  });

  test('a created container can be deleted without --force', async () => {
    const b = bundle();
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-c2')).code, 0);
    const { pid } = await state('mdk-test-c2');
    assert.equal((await rt('delete', 'mdk-test-c2')).code, 0);
    assert.equal(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z', false);
  });

  test('run in the foreground: the exit status is the command\'s, and nothing stays registered', async () => {
    const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'echo out; echo err >&2; exit 7']));
    const r = await rt('run', '--bundle', b, 'mdk-test-r1');
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal((await rt('list', '-q')).stdout, '');
  });

  test('run --detach, exec, ps, kill --all', async () => {
    const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'sleep 31 & sleep 32; true # mdk-test-marker']));
    assert.equal((await rt('run', '--detach', '--bundle', b, 'mdk-test-d1')).code, 0);
    assert.equal((await state('mdk-test-d1')).status, 'running');
    const e = await rt('exec', '--env', 'MDK_X=1', 'mdk-test-d1', 'sh', '-c', 'echo $$ $MDK_X $(hostname)');
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^\d+ 1 moby-dick\n$/);
    assert.notEqual(e.stdout.split(' ')[0], '1', 'exec is not pid 1');
    const ps = await rt('ps', '--format', 'json', 'mdk-test-d1');
    assert.equal((JSON.parse(ps.stdout) as number[]).length, 3, ps.stdout);
    const notFound = await rt('exec', 'mdk-test-d1', 'mdk-test-nosuch');
    assert.notEqual(notFound.code, 0);
    assert.match(notFound.stderr, /exec: "mdk-test-nosuch": executable file not found in \$PATH/);
    assert.equal((await rt('kill', '--all', 'mdk-test-d1', 'TERM')).code, 0);
    for (let i = 0; i < 200 && (await state('mdk-test-d1')).status !== 'stopped'; i++) await sleep(10);
    assert.equal((await state('mdk-test-d1')).status, 'stopped');
  });

  test('exec --detach --pid-file returns once the process runs', async () => {
    const b = bundle();
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-d2')).code, 0);
    const pidFile = join(b, 'exec.pid');
    const r = await rt('exec', '--detach', '--pid-file', pidFile, 'mdk-test-d2', 'sleep', '33');
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sleep\x0033/);
    assert.equal(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync(`/proc/${(await state('mdk-test-d2')).pid}/ns/pid`));
  });

  test('a detached exec that ends at once is left for the caller\'s subreaper to reap, as a shim expects', async () => {
    const b = bundle();
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-reap')).code, 0);
    const pidFile = join(b, 'quick.pid');
    const { RUNTIME } = await import('../helpers/bundle.js');
    for (let i = 0; i < 3; i++) {
      const r = await run('python3', [join(PROJECT, 'test/helpers/subreaper.py'), pidFile, RUNTIME, '--root', fx.root, 'exec', '-d', '--pid-file', pidFile, 'mdk-test-reap', 'sh', '-c', 'exit 5']);
      assert.equal(r.stdout, 'status 5\n', r.stderr);
    }
  });

  test('state stays true: a container whose process died is stopped, and so is one whose pid was reused', async () => {
    const b = bundle();
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-s1')).code, 0);
    const { pid } = await state('mdk-test-s1');
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await state('mdk-test-s1')).status !== 'stopped'; i++) await sleep(10);
    assert.equal((await state('mdk-test-s1')).status, 'stopped');
    // a pid that now belongs to another process: this test process
    const file = join(fx.root, 'mdk-test-s1', 'state.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...saved, pid: process.pid }));
    assert.equal((await state('mdk-test-s1')).status, 'stopped');
  });

  test('two creates of one id at once: exactly one succeeds', async () => {
    const b = bundle();
    const results = await Promise.all([1, 2, 3].map(() => rt('create', '--bundle', b, 'mdk-test-same')));
    assert.deepEqual(results.map((r) => r.code).sort(), [0, 1, 1]);
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /container with id "mdk-test-same" already exists/);
  });

  test('ambient capabilities that are not inheritable are skipped, as runc does (runc spec lists them)', async () => {
    const b = bundle((s) => {
      s.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      s.process!.args = ['sh', '-c', 'grep -E "CapEff|CapAmb" /proc/self/status'];
    });
    const r = await rt('run', '--bundle', b, 'mdk-test-amb');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CapEff:\s+0000000000000020/);
    assert.match(r.stdout, /CapAmb:\s+0000000000000000/);
  });

  test('user namespaces: root inside is an unprivileged uid outside, through create, start and exec', async () => {
    // a bind source the container's root can reach: not under the 0700 state root
    const { mkdtempSync, chmodSync } = await import('node:fs');
    const shared = mkdtempSync('/tmp/mdk-test-shared-');
    chmodSync(shared, 0o755);
    fx.removeLater(shared);
    const b = bundle((s) => {
      s.root!.readonly = true;
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      // onto a directory that exists: root inside cannot make one in a rootfs the host's root owns
      s.mounts!.push({ destination: '/tmp', source: shared, options: ['rbind', 'rw'] });
      s.process!.args = ['sh', '-c', 'touch /tmp/made-inside; sleep 30'];
    });
    const { chownSync, statSync } = await import('node:fs');
    chownSync(shared, 200000, 200000);
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-userns')).code, 0);
    const { pid } = await state('mdk-test-userns');
    assert.match(readFileSync(`/proc/${pid}/uid_map`, 'utf8'), /^\s*0\s+200000\s+65536$/m);
    assert.equal((await rt('start', 'mdk-test-userns')).code, 0);
    for (let i = 0; i < 100 && !existsSync(join(shared, 'made-inside')); i++) await sleep(10);
    assert.equal(statSync(join(shared, 'made-inside')).uid, 200000, 'a file root made inside belongs to the mapped uid');
    const e = await rt('exec', 'mdk-test-userns', 'sh', '-c', 'id -u; grep CapEff /proc/self/status');
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^0\n/);
    // root inside cannot touch what the host's root owns
    const host = await rt('exec', 'mdk-test-userns', 'sh', '-c', 'echo x > /proc/sys/kernel/hostname 2>&1; echo rc=$?');
    assert.match(host.stdout, /rc=1/);
  });

  test('--preserve-fds passes the caller\'s fds on as 3.., and nothing else', async () => {
    const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'cat <&3; cat <&4; ls /proc/self/fd | tr "\\n" " "']));
    writeFileSync(join(b, 'three'), 'fd three\n');
    writeFileSync(join(b, 'four'), 'fd four\n');
    const three = openSync(join(b, 'three'), 'r');
    const four = openSync(join(b, 'four'), 'r');
    const r = await runtime(fx.root, ['run', '--preserve-fds', '2', '--bundle', b, 'mdk-test-pfd'], { spawn: { stdio: ['ignore', 'pipe', 'pipe', three, four] } });
    assert.equal(r.code, 0, r.stderr);
    // 0-2, the two preserved, and ls's own directory fd
    assert.equal(r.stdout, 'fd three\nfd four\n0 1 2 3 4 5 ');
  });

  test('--no-pivot moves the root and chroots instead', async () => {
    const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'ls / | tr "\\n" " "']));
    const r = await rt('run', '--no-pivot', '--bundle', b, 'mdk-test-np');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\bbin\b.*\bproc\b/);
    assert.doesNotMatch(r.stdout, /\bwork\b|\busr\b/);
  });

  test('a file bind mount into a directory the image lacks: the directory is made, as runc does (Podman\'s /run/.containerenv)', async () => {
    const b = bundle((s) => {
      s.mounts!.push({ destination: '/mdk-test-run/sub/.containerenv', source: 'env', options: ['bind', 'ro'] });
      s.linux!.devices = [{ type: 'c', path: '/dev/net/tun', major: 10, minor: 200, fileMode: 0o600 }];
      s.process!.args = ['sh', '-c', 'cat /mdk-test-run/sub/.containerenv; ls -l /dev/net/tun | cut -c1'];
    });
    writeFileSync(join(b, 'env'), 'engine="mdk-test"\n');
    try {
      const r = await rt('run', '--bundle', b, 'mdk-test-mkparent');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'engine="mdk-test"\nc\n');
    } finally {
      rmSync(join(fx.rootfs, 'mdk-test-run'), { recursive: true, force: true });
    }
  });

  test('a time namespace with offsets, and a 32-bit personality', async () => {
    const b = bundle((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 864000 } };
      s.linux!.personality = { domain: 'LINUX32' };
      s.process!.args = ['sh', '-c', 'cut -d. -f1 /proc/uptime; uname -m'];
    });
    const r = await rt('run', '--bundle', b, 'mdk-test-time');
    assert.equal(r.code, 0, r.stderr);
    const [uptime, machine] = r.stdout.trim().split('\n');
    assert.ok(Number(uptime) >= 864000, `uptime ${uptime}`);
    assert.equal(machine, 'i686');
  });

  test('an rlimit above what root here may set is a sentence naming the limit and the way out', async () => {
    const { execFileSync } = await import('node:child_process');
    const hard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
    const b = bundle((s) => void (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: hard + 1000 }]));
    const r = await rt('create', '--bundle', b, 'mdk-test-rl');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container setup failed setting RLIMIT_NOFILE: operation not permitted \(EPERM\) \(.*CAP_SYS_RESOURCE/);
  });

  test('a missing container says "does not exist", non-zero, and logs a JSON error line last', async () => {
    const log = join(fx.root, 'log.json');
    for (const cmd of [['state'], ['start'], ['kill'], ['delete'], ['ps']]) {
      const r = await runtime(fx.root, ['--log', log, '--log-format', 'json', ...cmd, 'mdk-test-none']);
      assert.notEqual(r.code, 0, cmd[0]);
      assert.match(r.stderr, /container "mdk-test-none" does not exist/);
      const last = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!) as Record<string, string>;
      assert.equal(last.level, 'error');
      assert.match(last.msg ?? '', /does not exist/);
      assert.ok(!Number.isNaN(Date.parse(last.time ?? '')));
    }
  });

  test('an invalid config.json is refused with the field, before anything is created', async () => {
    const b = bundle((s) => void (s.process!.cwd = 'relative'));
    const r = await rt('create', '--bundle', b, 'mdk-test-bad');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config\.json: process\.cwd: must be an absolute path/);
    assert.equal((await rt('list', '-q')).stdout, '');
  });

  test('a failing start of the command is reported by create, and nothing is left', async () => {
    const b = bundle((s) => void (s.process!.args = ['mdk-test-nosuch']));
    const r = await rt('create', '--bundle', b, 'mdk-test-nf');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exec: "mdk-test-nosuch": executable file not found in \$PATH/);
    assert.equal((await rt('list', '-q')).stdout, '');
  });

  test('list prints a table and JSON', async () => {
    const b = bundle();
    await rt('create', '--bundle', b, 'mdk-test-l1');
    const table = await rt('list');
    assert.match(table.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\nmdk-test-l1\s+\d+\s+created\s+/);
    const json = JSON.parse((await rt('list', '--format', 'json')).stdout) as State[];
    assert.deepEqual(json.map((s) => [s.id, s.status]), [['mdk-test-l1', 'created']]);
  });

  test('--console-socket: the pty master goes to the caller\'s socket, the process gets the terminal', async () => {
    const b = bundle((s) => {
      s.process!.terminal = true;
      s.process!.args = ['sh', '-c', 'echo tty=$(tty); ls -l /dev/console'];
    });
    const sock = join(b, 'console.sock');
    const { spawn } = await import('node:child_process');
    const server = spawn('python3', [join(PROJECT, 'test/helpers/console-socket.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    server.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const closed = new Promise((r) => server.on('close', r));
    for (let i = 0; i < 200 && !output.includes('listening'); i++) await sleep(10);
    const created = await rt('create', '--bundle', b, '--console-socket', sock, 'mdk-test-tty');
    assert.equal(created.code, 0, created.stderr);
    assert.match(output, /got fd/);
    assert.equal((await rt('start', 'mdk-test-tty')).code, 0);
    await closed;
    assert.match(output, /tty=\/dev\/pts\/0\r\n/);
    assert.match(output, /crw--w----\s+1 root\s+tty\s+136,\s+0 .* \/dev\/console/);
  });

  test('global flags: --systemd-cgroup, and --rootless true as root, are refused clearly; --version, --help; an unknown command', async () => {
    const sd = await runtime(fx.root, ['--systemd-cgroup', 'state', 'x']);
    assert.equal(sd.code, 1);
    assert.match(sd.stderr, /--systemd-cgroup: (systemd is not running on this host|the systemd cgroup driver is not supported yet)/);
    // as root, rootless mode is what a user namespace in config.json gives (rootless.test runs it as a user)
    const forced = await runtime(fx.root, ['--rootless', 'true', 'list']);
    assert.equal(forced.code, 1);
    assert.match(forced.stderr, /^moby-dick-runtime: --rootless true: running as root \(give config.json a user namespace instead\)/);
    assert.equal((await runtime(fx.root, ['--rootless', 'false', 'list'])).code, 0);
    assert.match((await runtime(fx.root, ['--version'])).stdout, /^moby-dick-runtime version \d+\.\d+\.\d+\nspec: 1\.2\.0\n$/);
    assert.match((await runtime(fx.root, ['--help'])).stdout, /create\s+create a container from a bundle/);
    const bogus = await runtime(fx.root, ['frobnicate']);
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /unknown command "frobnicate"/);
  });

  test('spec writes a config.json that create accepts; features describes the runtime', async () => {
    const dir = bundle();
    rmSync(join(dir, 'config.json'));
    assert.equal((await runtime(fx.root, ['spec', '--bundle', dir])).code, 0);
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(spec.root.path, 'rootfs');
    assert.match((await runtime(fx.root, ['spec', '--bundle', dir])).stderr, /exists/);
    const features = JSON.parse((await runtime(fx.root, ['features'])).stdout);
    assert.equal(features.ociVersionMin, '1.0.0');
    assert.ok(features.linux.namespaces.includes('pid'));
  });

  describe('security', () => {
    test('a symlink in the rootfs cannot send a bind mount or a mask to the host', async () => {
      const hostDir = join('/tmp', `mdk-test-host-${process.pid}`);
      mkdirSync(hostDir);
      writeFileSync(join(hostDir, 'keep'), 'host\n');
      symlinkSync(hostDir, join(fx.rootfs, 'mdk-test-escape'));
      try {
        const b = bundle((s) => {
          s.mounts!.push({ destination: '/mdk-test-escape', type: 'tmpfs', source: 'tmpfs' });
          s.linux!.maskedPaths = ['/mdk-test-escape/keep'];
          s.process!.args = ['sh', '-c', 'ls /mdk-test-escape; echo x'];
        });
        const r = await rt('run', '--bundle', b, 'mdk-test-esc');
        // the symlink resolves inside the rootfs, where its target does not exist
        assert.notEqual(r.code, 0);
        assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(hostDir));
        assert.equal(readFileSync(join(hostDir, 'keep'), 'utf8'), 'host\n');
      } finally {
        rmSync(join(fx.rootfs, 'mdk-test-escape'));
        rmSync(hostDir, { recursive: true });
      }
    });

    test('no fd above 2 reaches the container\'s process', async () => {
      const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'ls /proc/self/fd']));
      // an fd of ours above 2 must not leak through the runtime either
      const leaked = openSync('/etc/hostname', 'r');
      const r = await runtime(fx.root, ['run', '--bundle', b, 'mdk-test-fd'], { spawn: { stdio: ['ignore', 'pipe', 'pipe', leaked] } });
      assert.equal(r.stdout, '0\n1\n2\n3\n', r.stderr); // 3 is ls's own directory fd
    });

    test('a cwd through /proc/self/fd cannot reach outside the root', async () => {
      for (const fd of [3, 4, 5, 6, 7, 8]) {
        const b = bundle((s) => {
          s.process!.cwd = `/proc/self/fd/${fd}`;
          s.process!.args = ['pwd'];
        });
        const r = await rt('run', '--bundle', b, `mdk-test-cwd${fd}`);
        if (r.code === 0) assert.doesNotMatch(r.stdout, /unreachable|^\/(proc|sys|tmp|work|run)/, `fd ${fd}: ${r.stdout}`);
        else assert.match(r.stderr, /working directory/);
      }
    });

    test('the parked init runs from a sealed memfd: the host binary cannot be opened for writing', async () => {
      const b = bundle();
      assert.equal((await rt('create', '--bundle', b, 'mdk-test-exe')).code, 0);
      const { pid } = await state('mdk-test-exe');
      assert.match(readlinkSync(`/proc/${pid}/exe`), /^\/memfd:mdk-init/);
      assert.throws(() => openSync(`/proc/${pid}/exe`, 'r+'), /ETXTBSY|EPERM|EACCES/);
    });

    test('/proc must be procfs before anything is written through it', async () => {
      // no mount on /proc: the rootfs's own directory (a tmpfs there is refused by validation, spec-rules.ts)
      const b = bundle((s) => {
        s.mounts = s.mounts!.filter((m) => m.destination !== '/proc');
        s.linux!.sysctl = { 'kernel.domainname': 'mdk-test' };
      });
      const r = await rt('run', '--bundle', b, 'mdk-test-proc');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\/proc is not procfs/);
    });
  });
});
