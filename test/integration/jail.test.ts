/** `moby-dick run --rootfs DIR`: pivot_root into DIR, a minimal /dev, and no way out. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { mdk, PROJECT, sleep } from '../helpers/cli.js';
import { parseExplanation } from '../helpers/explain-check.js';
import { useRootfs } from '../helpers/fixtures.js';

describe('moby-dick run --rootfs (the jail)', () => {
  const fx = useRootfs();
  const inside = (args: string[], extra: string[] = []) => mdk(['run', ...extra, '--rootfs', fx.rootfs, ...args]);
  const sh = (script: string, extra: string[] = []) => inside(['sh', '-c', script], extra);

  test('the root is DIR: its files are there, the host\'s are not', async () => {
    writeFileSync(join(fx.rootfs, 'mdk-test-marker'), 'inside\n');
    const r = await sh('cat /mdk-test-marker; ls /; ls /work /usr /etc/hostname 2>&1 || true');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^inside\n/);
    assert.match(r.stdout, /ls: \/work: No such file or directory/);
    assert.match(r.stdout, /ls: \/usr: No such file or directory/);
  });

  test('there is no way up: "..", /proc/1/root and absolute symlinks stay inside', async () => {
    symlinkSync('/', join(fx.rootfs, 'tmp/mdk-test-up'));
    try {
      const r = await sh('ls /../../..; ls /proc/1/root/; ls /tmp/mdk-test-up/');
      assert.equal(r.code, 0, r.stderr);
      const listings = r.stdout.trim().split('\n');
      assert.ok(listings.includes('mdk-test-marker') || listings.includes('bin'));
      assert.ok(!listings.includes('work') && !listings.includes('usr'), r.stdout);
    } finally {
      rmSync(join(fx.rootfs, 'tmp/mdk-test-up'));
    }
  });

  test('a symlink in the rootfs cannot redirect a mount onto the host', async () => {
    // /mytmp -> a host directory: it resolves inside the rootfs, where it does
    // not exist, so setup stops with a clear error and the host is untouched
    const hostDir = join('/tmp', `mdk-test-target-${process.pid}`);
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'keep'), 'host file\n');
    rmSync(join(fx.rootfs, 'mytmp'), { recursive: true, force: true });
    symlinkSync(hostDir, join(fx.rootfs, 'mytmp'));
    try {
      const r = await sh('echo started');
      assert.equal(r.code, 125);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^moby-dick: container setup failed mounting \/mytmp: no such file or directory \(ENOENT\)\n$/);
      assert.equal(readFileSync(join(hostDir, 'keep'), 'utf8'), 'host file\n');
      assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(hostDir));
    } finally {
      rmSync(join(fx.rootfs, 'mytmp'));
      rmSync(hostDir, { recursive: true });
    }
  });

  test('/proc is the container\'s own: pid 1 is the command', async () => {
    const r = await sh('echo $$; ls /proc | grep "^[0-9]" | sort -n | tr "\\n" " "');
    const [self, pids] = r.stdout.split('\n');
    assert.equal(self, '1', r.stderr);
    // sh and the pipeline: a handful of small pids, none of the host's
    assert.ok(pids?.trim().split(' ').every((p) => Number(p) < 10), pids);
  });

  test('/dev is minimal: the usual nodes and symlinks, nothing of the host', async () => {
    const r = await sh('ls /dev | sort | tr "\\n" " "; echo; stat -c "%a %t:%T" /dev/null /dev/zero /dev/tty; echo x > /dev/null; head -c 4 /dev/urandom | wc -c');
    assert.equal(r.code, 0, r.stderr);
    const [names, ...rest] = r.stdout.trim().split('\n');
    assert.equal(names?.trim(), 'core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero');
    assert.deepEqual(rest, ['666 1:3', '666 1:5', '666 5:0', '4']);
  });

  test('/sys is read-only and sensitive /proc paths are masked or read-only', async () => {
    const r = await sh('touch /sys/x 2>&1; echo 1 > /proc/sys/kernel/hostname 2>&1; cat /proc/timer_list | wc -c; grep -E " /(sys|proc/sys) " /proc/mounts');
    assert.match(r.stdout, /touch: \/sys\/x: Read-only file system/);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /^0$/m, 'timer_list is masked');
    assert.match(r.stdout, /^sysfs \/sys sysfs ro,/m);
    assert.match(r.stdout, /^proc \/proc\/sys proc ro,/m);
  });

  test('/mytmp is a tmpfs', async () => {
    const r = await sh('grep " /mytmp " /proc/mounts');
    assert.match(r.stdout, /^tmpfs \/mytmp tmpfs rw/);
  });

  test('root has Docker\'s capabilities without CAP_MKNOD: no device nodes, no mounts', async () => {
    const r = await sh('grep CapEff /proc/self/status; mknod /tmp/mdk-test-sda b 8 0 2>&1; mount -t tmpfs x /mnt 2>&1; true');
    assert.match(r.stdout, /CapEff:\s+00000000a00425fb/);
    assert.match(r.stdout, /mknod: \/tmp\/mdk-test-sda: Operation not permitted/);
    assert.match(r.stdout, /mount: permission denied|Operation not permitted/);
    assert.equal(existsSync(join(fx.rootfs, 'tmp/mdk-test-sda')), false);
  });

  test('the default seccomp filter, as an engine container\'s: Seccomp 2, namespaces refused', async () => {
    const r = await sh('grep "^Seccomp:" /proc/self/status; unshare -U true 2>&1; true');
    assert.match(r.stdout, /^Seccomp:\s+2\n/);
    assert.match(r.stdout, /unshare: unshare\(0x10000000\): Operation not permitted/);
  });

  test('a cgroup of its own under /moby-dick-jail, made before the command and removed when it ends', async () => {
    const parent = ['/sys/fs/cgroup/pids/moby-dick-jail', '/sys/fs/cgroup/moby-dick-jail'];
    const list = (): string[] => parent.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((n) => /^[0-9a-f]{16}$/.test(n)).map((n) => join(d, n)) : []));
    const before = new Set(list());
    const running = sh('cat /proc/self/cgroup; sleep 1');
    const procs = (d: string): string => {
      try {
        return readFileSync(join(d, 'cgroup.procs'), 'utf8');
      } catch {
        return '';
      }
    };
    let mine: string[] = [];
    for (let i = 0; i < 300 && !(mine.length === 1 && procs(mine[0]!)); i++) {
      await sleep(10);
      mine = list().filter((d) => !before.has(d));
    }
    assert.equal(mine.length, 1, 'its cgroup exists while it runs');
    assert.match(procs(mine[0]!), /^\d+\n/, 'the container\'s processes are in it');
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /:pids:\/\n|^0::\/\n/m, 'inside, its own cgroup namespace: the cgroup is its root');
    assert.equal(existsSync(mine[0]!), false, 'removed once it ended');
    assert.equal(existsSync(dirname(mine[0]!)), true, 'its parent stays for the next jail');
  });

  describe("the device rules and cpuset every jail gets, held by v1's /moby-dick-jail", () => {
    const v1 = existsSync('/sys/fs/cgroup/devices/devices.list');
    const parent = { devices: '/sys/fs/cgroup/devices/moby-dick-jail', cpuset: '/sys/fs/cgroup/cpuset/moby-dick-jail' };
    const hold = { devices: join(parent.devices, 'mdk-test-hold'), cpuset: join(parent.cpuset, 'mdk-test-hold') };
    // what the kernel lists for the jail's rules: all denied, then Docker's standard devices
    const RULES = ['b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm'].sort();
    const lines = (text: string) => text.split('\n').filter(Boolean).sort();
    const children = (d: string) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    /** the parent as a moby-dick before this one made it: no rules, no clone_children (only when no jail is in it) */
    const plainParents = (): boolean => {
      for (const d of Object.values(parent)) {
        if (existsSync(d) && children(d).length > 0) return false;
      }
      for (const d of Object.values(parent)) {
        try {
          rmdirSync(d);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        mkdirSync(d);
      }
      return true;
    };
    const inContainer = () => sh('cat /sys/fs/cgroup/devices/devices.list; echo cpus $(cat /sys/fs/cgroup/cpuset/cpuset.cpus)');

    test('a container cgroup copies them from the parent at mkdir; inside, only the standard devices', { skip: !v1 && 'cgroup v1 only' }, async () => {
      const r = await inContainer();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('cpus')), RULES);
      assert.match(r.stdout, /^cpus \d/m, 'a cpuset to run on');
      assert.deepEqual(lines(readFileSync(join(parent.devices, 'devices.list'), 'utf8')), RULES, 'the parent holds the rules');
      assert.equal(readFileSync(join(parent.cpuset, 'cgroup.clone_children'), 'utf8').trim(), '1', 'and hands its cpuset on');
    });

    test('a parent made without them (an older moby-dick) is made again when no jail is in it', { skip: !v1 && 'cgroup v1 only' }, async () => {
      assert.ok(plainParents(), 'no other jail runs during this test (the integration lock)');
      assert.deepEqual(lines(readFileSync(join(parent.devices, 'devices.list'), 'utf8')), ['a *:* rwm']);
      const r = await inContainer();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('cpus')), RULES);
      assert.deepEqual(lines(readFileSync(join(parent.devices, 'devices.list'), 'utf8')), RULES, 'made again, with the rules');
      assert.equal(readFileSync(join(parent.cpuset, 'cgroup.clone_children'), 'utf8').trim(), '1');
      assert.deepEqual(readdirSync('/sys/fs/cgroup/devices').filter((n) => n.startsWith('moby-dick-jail.')), [], 'no temporary parent left');
    });

    test('a temporary parent left by a jail killed before its rename is swept when the parent is next made; a living maker\'s stays', { skip: !v1 && 'cgroup v1 only' }, async () => {
      assert.ok(plainParents(), 'no other jail runs during this test (the integration lock)');
      for (const d of Object.values(parent)) rmdirSync(d);
      // a jail's name begins with its starter's pid: one that has ended, and this test's own (alive)
      const ended = spawnSync('true').pid!;
      const name = (pid: number) => `${pid.toString(16).padStart(8, '0')}0000beef`;
      const left = [parent.devices, parent.cpuset].map((p) => `${p}.${name(ended)}`);
      const living = [parent.devices, parent.cpuset].map((p) => `${p}.${name(process.pid)}`);
      for (const d of [...left, ...living]) mkdirSync(d);
      try {
        const r = await inContainer();
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('cpus')), RULES);
        for (const d of left) assert.equal(existsSync(d), false, `${d} swept`);
        for (const d of living) assert.equal(existsSync(d), true, `${d} (its maker alive) kept`);
        assert.deepEqual(lines(readFileSync(join(parent.devices, 'devices.list'), 'utf8')), RULES, 'the parent made, with the rules');
      } finally {
        for (const d of [...left, ...living]) {
          try {
            rmdirSync(d);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          }
        }
      }
    });

    test('under such a parent that another cgroup is in, the rules are written for the container', { skip: !v1 && 'cgroup v1 only' }, async () => {
      assert.ok(plainParents());
      mkdirSync(hold.devices);
      mkdirSync(hold.cpuset);
      try {
        const r = await inContainer();
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('cpus')), RULES, 'the container\'s own rules, written');
        assert.match(r.stdout, /^cpus \d/m, 'its cpuset, written');
        assert.deepEqual(lines(readFileSync(join(parent.devices, 'devices.list'), 'utf8')), ['a *:* rwm'], 'the parent in use is left as it is');
        // --explain says the rules were written here, not inherited
        const x = await inside(['true'], ['--explain=json']);
        assert.equal(x.code, 0, x.stderr);
        const cg = parseExplanation(x.stderr).cgroup!;
        assert.equal(cg.inherited, null);
        assert.ok(cg.writes.some((w) => w.file === 'devices.allow' && w.value === 'c 1:3 rwm'), JSON.stringify(cg.writes));
      } finally {
        for (const d of [...Object.values(hold), ...Object.values(parent)]) {
          try {
            rmdirSync(d);
          } catch {
            // the next jail makes the parent again
          }
        }
      }
    });
  });

  test('--read-only makes / read-only but keeps /mytmp and /dev/shm writable', async () => {
    const r = await sh('touch /mdk-test-ro 2>&1; touch /mytmp/ok /dev/shm/ok && echo writable', ['--read-only']);
    assert.match(r.stdout, /touch: \/mdk-test-ro: Read-only file system/);
    assert.match(r.stdout, /writable/);
    assert.equal(existsSync(join(fx.rootfs, 'mdk-test-ro')), false);
  });

  test('without --read-only the root is writable and writes land in DIR', async () => {
    const r = await sh('echo hi > /tmp/mdk-test-written');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(fx.rootfs, 'tmp/mdk-test-written'), 'utf8'), 'hi\n');
    rmSync(join(fx.rootfs, 'tmp/mdk-test-written'));
  });

  test('the same namespaces as the original form', async () => {
    const r = await sh('hostname; ip link | grep "^[0-9]"');
    assert.equal(r.code, 0, r.stderr);
    const [name, ...links] = r.stdout.trim().split('\n');
    assert.equal(name, 'containerhostname');
    assert.equal(links.length, 1, r.stdout);
    assert.match(links[0] ?? '', /^1: lo: <LOOPBACK> /, 'lo only, not UP');
  });

  test('no fd above 2 reaches the command', async () => {
    const r = await inside(['ls', '/proc/self/fd']);
    // 0-2, and the fd ls itself opened to read the directory
    assert.equal(r.stdout, '0\n1\n2\n3\n', r.stderr);
    // the shell's own fds, listed by a child it forks (no pipe: a pipeline's
    // ends may still be open in the shell while ls runs)
    const r2 = await sh('ls -l /proc/$$/fd; true');
    assert.equal(r2.stdout.split('\n').filter((l) => l.includes('->')).length, 3, r2.stdout);
  });

  test('the helper cannot be reached for writing through /proc/1/exe under --init', async () => {
    const helper = join(PROJECT, 'build/mdk-init');
    const original = readFileSync(helper);
    const r = await sh('readlink /proc/1/exe || echo unreadable; { echo x >> /proc/1/exe; } 2>&1; echo status=$?', ['--init']);
    // the init is not dumpable: without CAP_SYS_PTRACE its exe cannot even be read (and it is a sealed memfd)
    assert.match(r.stdout, /^(\/memfd:mdk-init|unreadable)\n/);
    assert.match(r.stdout, /Text file busy|Operation not permitted|Permission denied/);
    assert.match(r.stdout, /status=[1-9]/);
    assert.ok(readFileSync(helper).equals(original), 'the host binary is unchanged');
  });
});
