/**
 * Attacks on moby-dick-runtime from a hostile bundle (rootfs, /dev, seccomp
 * profile) and from a create killed midway, each reproduced as it was found
 * and checked to be stopped (README "Security").
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Spec } from '../../src/spec/schema.js';
import { PROJECT, sleep } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';

/** The spec without any mount at or under /dev: the root's own /dev, or DEV bound there. */
function ownDev(s: Spec, dev?: string): void {
  s.mounts = (s.mounts ?? []).filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
  if (dev) s.mounts.push({ destination: '/dev', type: 'bind', source: dev, options: ['rbind', 'rw'] });
}

const mountinfoLine = (out: string, target: string): string => out.split('\n').find((l) => l.split(' ')[4] === target) ?? '';

describe('moby-dick-runtime against hostile bundles', () => {
  const fx = useOci();
  const { rt, bundle, state } = fx;
  const dir = (name: string): string => {
    const d = mkdtempSync(join('/tmp', `mdk-test-${name}-`));
    fx.removeLater(d);
    return d;
  };

  test('CVE-2025-31133: a /dev/null symlink in a /dev bind mount does not turn masked files into binds of what it names', async () => {
    const dev = dir('dev');
    symlinkSync('/proc/sys/kernel/core_pattern', join(dev, 'null'));
    const b = bundle((s) => {
      ownDev(s, dev);
      s.process!.args = ['sh', '-c', 'grep " /proc/keys " /proc/self/mountinfo'];
    });
    const r = await rt('run', '--bundle', b, 'mdk-test-devnull');
    assert.doesNotMatch(r.stdout, /core_pattern/, 'masked /proc/keys is a bind of the host\'s core_pattern');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/dev\/null in the container is not the null device \(char 1:3\)/);
    assert.equal((await rt('list', '-q')).stdout, '');
  });

  test('masked files are covered by the checked null device, read-only', async () => {
    const dev = dir('dev');
    execFileSync('mknod', ['-m', '666', join(dev, 'null'), 'c', '1', '3']);
    const b = bundle((s) => {
      ownDev(s, dev);
      s.process!.args = ['sh', '-c', 'cat /proc/self/mountinfo; echo x > /proc/keys && echo wrote'];
    });
    const r = await rt('run', '--bundle', b, 'mdk-test-mask');
    assert.equal(r.code, 0, r.stderr);
    const keys = mountinfoLine(r.stdout, '/proc/keys');
    assert.match(keys, /^\S+ \S+ \d+:\d+ \S*\/null \/proc\/keys ro[, ]/, keys);
    assert.match(r.stdout, /wrote/, 'a masked file takes writes as /dev/null does');
  });

  test('with no /dev mount the root\'s own /dev gets the default devices, and a planted /dev/null is refused', async () => {
    const rootfs = makeBusyboxRootfs();
    try {
      const clean = bundle((s) => {
        s.root!.path = rootfs;
        ownDev(s);
        s.process!.args = ['sh', '-c', 'stat -c "%F %t:%T" /dev/null /dev/zero'];
      });
      const ok = await rt('run', '--bundle', clean, 'mdk-test-owndev');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'character special file 1:3\ncharacter special file 1:5\n');

      execFileSync('rm', ['-f', join(rootfs, 'dev/null')]);
      symlinkSync('/proc/sys/kernel/core_pattern', join(rootfs, 'dev/null'));
      const planted = bundle((s) => {
        s.root!.path = rootfs;
        ownDev(s);
        s.process!.args = ['sh', '-c', 'grep " /proc/keys " /proc/self/mountinfo'];
      });
      const r = await rt('run', '--bundle', planted, 'mdk-test-planted');
      assert.doesNotMatch(r.stdout, /core_pattern/);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /creating device \/dev\/null: file already exists/);
    } finally {
      removeRootfs(rootfs);
    }
  });

  test('in a user namespace the host\'s devices are bound onto what the plan made, never through a planted link', async () => {
    const rootfs = makeBusyboxRootfs();
    try {
      symlinkSync('/etc/passwd', join(rootfs, 'dev/null'));
      const b = bundle((s) => {
        s.root!.path = rootfs;
        s.root!.readonly = true;
        ownDev(s);
        s.linux!.maskedPaths = [];
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        s.process!.args = ['sh', '-c', 'grep -c " /etc/passwd " /proc/self/mountinfo'];
      });
      const r = await rt('run', '--bundle', b, 'mdk-test-userns-dev');
      assert.doesNotMatch(r.stdout, /^1/, 'the host\'s /dev/null was bound over /etc/passwd');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /binding the host's device onto \/dev\/null: too many (levels of )?symbolic links/i);
    } finally {
      removeRootfs(rootfs);
    }
  });

  test('CVE-2025-52565: the terminal is not bound through a /dev/console symlink', async () => {
    const dev = dir('dev');
    execFileSync('mknod', ['-m', '666', join(dev, 'null'), 'c', '1', '3']);
    mkdirSync(join(dev, 'pts'));
    symlinkSync('pts/ptmx', join(dev, 'ptmx'));
    symlinkSync('/proc/sys/kernel/core_pattern', join(dev, 'console'));
    const b = bundle((s) => {
      ownDev(s, dev);
      s.mounts!.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] });
      s.process!.terminal = true;
      s.process!.args = ['sh', '-c', 'grep " /proc/sys/kernel/core_pattern " /proc/self/mountinfo; sleep 1'];
    });
    const sock = join(b, 'console.sock');
    const server: ChildProcess = spawn('python3', [join(PROJECT, 'test/helpers/console-socket.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    server.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      for (let i = 0; i < 200 && !output.includes('listening'); i++) await sleep(10);
      const created = await rt('create', '--bundle', b, '--console-socket', sock, 'mdk-test-console');
      if (created.code === 0) await rt('start', 'mdk-test-console');
      await sleep(200);
      assert.doesNotMatch(output, /core_pattern/, 'the pty was bound over a proc file');
      assert.notEqual(created.code, 0);
      assert.match(created.stderr, /binding the terminal onto \/dev\/console: too many (levels of )?symbolic links/i);
    } finally {
      server.kill();
    }
  });

  test('a seccomp profile that refuses close_range: the fds are swept before the filter and the command runs', async () => {
    const b = bundle((s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['close_range'], action: 'SCMP_ACT_ERRNO' }] };
      s.process!.args = ['sh', '-c', 'ls /proc/self/fd > /tmp/mdk-test-ran'];
    });
    const marker = join(fx.rootfs, 'tmp/mdk-test-ran');
    fx.removeLater(marker);
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-cr')).code, 0);
    const started = await rt('start', 'mdk-test-cr');
    assert.equal(started.code, 0, started.stderr);
    for (let i = 0; i < 200 && !existsSync(marker); i++) await sleep(10);
    // 0-2 and the directory ls reads
    assert.equal(readFileSync(marker, 'utf8'), '0\n1\n2\n3\n');
  });

  test('a profile that forbids chdir and getcwd does not break the runtime\'s own steps (the working directory comes first)', async () => {
    const b = bundle((s) => {
      s.process!.noNewPrivileges = false;
      s.process!.cwd = '/tmp';
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['chdir', 'fchdir', 'getcwd'], action: 'SCMP_ACT_ERRNO' }] };
      s.process!.args = ['touch', 'mdk-test-in-cwd'];
    });
    fx.removeLater(join(fx.rootfs, 'tmp/mdk-test-in-cwd'));
    const r = await rt('run', '--bundle', b, 'mdk-test-cwd');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(fx.rootfs, 'tmp/mdk-test-in-cwd')));
  });

  test('a command that can never run is an error of start naming the step, not a silent exit 0', async () => {
    const b = bundle((s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['execve', 'execveat'], action: 'SCMP_ACT_ERRNO' }] };
      s.process!.args = ['true'];
    });
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-noexec')).code, 0);
    const started = await rt('start', 'mdk-test-noexec');
    assert.equal(started.code, 1);
    assert.match(started.stderr, /exec: "true": operation not permitted/);
    assert.equal((await state('mdk-test-noexec')).status, 'stopped');
  });

  test('exec --detach of a program the kernel cannot run is an error, not exit 0', async () => {
    const b = bundle((s) => void (s.process!.args = ['sleep', '30']));
    const garbage = join(fx.rootfs, 'tmp/mdk-test-garbage');
    writeFileSync(garbage, Buffer.from([0x7f, 0x00, 0x01, 0x02, 0x03]), { mode: 0o755 });
    fx.removeLater(garbage);
    assert.equal((await rt('run', '--detach', '--bundle', b, 'mdk-test-xd')).code, 0);
    // executable by its mode, so found before the process is released; execve then says ENOEXEC
    const r = await rt('exec', '--detach', 'mdk-test-xd', '/tmp/mdk-test-garbage');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exec: "\/tmp\/mdk-test-garbage": exec format error/);
  });

  test('delete --force of a create killed before it recorded the pid kills what is in its cgroup', async () => {
    const b = bundle((s) => void (s.process!.args = ['sleep', '31']));
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-killed')).code, 0);
    const { pid } = await state('mdk-test-killed');
    // as a create SIGKILLed between the container's parking and the state's pid leaves it
    const file = join(fx.root, 'mdk-test-killed', 'state.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; pidStartTime: string };
    writeFileSync(file, JSON.stringify({ ...saved, pid: 0, pidStartTime: '' }));
    assert.equal((await state('mdk-test-killed')).status, 'creating');
    const d = await rt('delete', '--force', 'mdk-test-killed');
    assert.equal(d.code, 0, d.stderr);
    // gone, or a zombie its new parent has not reaped yet
    const alive = (): boolean => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
    for (let i = 0; i < 100 && alive(); i++) await sleep(10);
    assert.equal(alive(), false, 'the parked process is gone');
  });

  test('oomScoreAdj in a user namespace is written from outside (the mapped root may not)', async () => {
    const b = bundle((s) => {
      s.root!.readonly = true;
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.process!.oomScoreAdj = 500;
      s.process!.args = ['cat', '/proc/self/oom_score_adj'];
    });
    const r = await rt('run', '--bundle', b, 'mdk-test-oom');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '500\n');
  });

  test('a mount that a symlink of the root leads into /proc is refused (the /proc rules read the destination as written)', async () => {
    const rootfs = makeBusyboxRootfs();
    try {
      symlinkSync('/proc/sys/kernel', join(rootfs, 'mdk-proc'));
      const file = join(dir('file'), 'f');
      writeFileSync(file, 'x\n');
      const b = bundle((s) => {
        s.root!.path = rootfs;
        s.mounts!.push({ destination: '/mdk-proc/domainname', type: 'bind', source: file, options: ['bind'] });
        s.process!.args = ['true'];
      });
      const r = await rt('run', '--bundle', b, 'mdk-test-procsym');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /mounting \/mdk-proc\/domainname, which a symlink leads into \/proc/);
    } finally {
      removeRootfs(rootfs);
    }
  });

  test('a lookup that races renames elsewhere (openat2 EAGAIN) is retried, not a failed setup', async () => {
    const rootfs = makeBusyboxRootfs();
    const churn = dir('rename');
    writeFileSync(join(churn, 'a'), '');
    // renames anywhere on the host make a lookup through ".." inside a root fail with EAGAIN
    const renamer = spawn('python3', ['-c', 'import os\nos.chdir(os.sys.argv[1])\nwhile True:\n os.rename("a","b"); os.rename("b","a")', churn], { stdio: 'ignore' });
    try {
      mkdirSync(join(rootfs, 'mdk-a'));
      symlinkSync(`mdk-a/${'../mdk-a/'.repeat(8)}`, join(rootfs, 'mdk-link'));
      const b = bundle((s) => {
        s.root!.path = rootfs;
        s.mounts!.push({ destination: '/mdk-link', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
        s.process!.args = ['true'];
      });
      const failures: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await rt('run', '--bundle', b, `mdk-test-race${i}`);
        if (r.code !== 0) failures.push(r.stderr.trim());
      }
      assert.deepEqual(failures, []);
    } finally {
      renamer.kill('SIGKILL');
      removeRootfs(rootfs);
    }
  });
});
