/**
 * The original moby-dick, checked the way its README did: `ip a`, `mount`,
 * `hostname`, `ipcs -q`, plus the pid namespace and --init.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { mdk } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';

describe('moby-dick COMMAND (the original form)', () => {
  let before: Snapshot;
  beforeEach(() => {
    before = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(before);
  });

  test('network: `ip a` shows only lo, and it is DOWN', async () => {
    const r = await mdk(['ip', 'a']);
    assert.equal(r.code, 0, r.stderr);
    const links = r.stdout.split('\n').filter((l) => /^\d+: /.test(l));
    assert.equal(links.length, 1, r.stdout);
    assert.match(links[0] ?? '', /^1: lo: <LOOPBACK> .* state DOWN/);
  });

  test('mounts: `mount` lists a tmpfs on /mytmp, which the host does not have', async () => {
    assert.equal(existsSync('/mytmp'), false, 'precondition: the host has no /mytmp');
    const r = await mdk(['mount']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tmpfs on \/mytmp type tmpfs/m);
    assert.equal(existsSync('/mytmp'), false);
  });

  test('mounts: a mount made inside is invisible outside', async () => {
    const r = await mdk(['sh', '-c', 'mount -t tmpfs mdk-test-inside /mnt && grep mdk-test-inside /proc/self/mounts']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mdk-test-inside \/mnt tmpfs/);
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), /mdk-test-inside/);
  });

  test('mounts: the host\'s files are there, and writes to them reach the host', async () => {
    const r = await mdk(['sh', '-c', 'cat /etc/hostname; ls /usr/bin/env']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(readFileSync('/etc/hostname', 'utf8').trim()));
  });

  test('hostname: containerhostname by default, --hostname changes it', async () => {
    assert.equal((await mdk(['hostname'])).stdout, 'containerhostname\n');
    assert.equal((await mdk(['--hostname', 'mdk-test-host', 'hostname'])).stdout, 'mdk-test-host\n');
  });

  test('hostname: `hostname josh` inside does not change the host\'s', async () => {
    const host = hostname();
    const r = await mdk(['sh', '-c', 'hostname josh && hostname']);
    assert.equal(r.stdout, 'josh\n', r.stderr);
    assert.equal(hostname(), host);
    assert.equal(execFileSync('hostname', { encoding: 'utf8' }).trim(), host);
  });

  test('IPC: a queue made on the host with `ipcmk -Q` is not listed by `ipcs -q` inside', async () => {
    const made = execFileSync('ipcmk', ['-Q'], { encoding: 'utf8' });
    const id = /(\d+)\s*$/.exec(made.trim())?.[1];
    assert.ok(id !== undefined, made);
    try {
      const host = execFileSync('ipcs', ['-q'], { encoding: 'utf8' });
      assert.match(host, new RegExp(`\\s${id}\\s`), 'the host lists its queue');
      const r = await mdk(['ipcs', '-q']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /^0x[0-9a-f]+\s/m, r.stdout);
    } finally {
      execFileSync('ipcrm', ['-q', id]);
    }
  });

  test('PID: the command is pid 1 and sees only its own processes', async () => {
    const r = await mdk(['sh', '-c', 'echo $$; ps -e -o pid=,comm=']);
    assert.equal(r.code, 0, r.stderr);
    const [self, ...procs] = r.stdout.trim().split('\n');
    assert.equal(self, '1');
    assert.deepEqual(procs.map((l) => l.trim().split(/\s+/)[1]), ['sh', 'ps']);
  });

  test('PID: --init runs a minimal init as pid 1 and the command as its child', async () => {
    const r = await mdk(['--init', 'sh', '-c', 'echo $$ $PPID']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '2 1\n');
  });

  test('PID: --init reaps orphaned zombies', async () => {
    // the subshell's child is orphaned and re-parented to pid 1, which must reap it
    const script = '(sleep 0.2 & exit 0); sleep 0.6; ps -o stat=,comm= | grep -c "^Z" || true';
    const r = await mdk(['--init', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  });

  test('the caller\'s environment and working directory come along; -e overrides', async () => {
    const r = await mdk(['-e', 'MDK_TEST_B=flag', 'sh', '-c', 'echo $MDK_TEST_A $MDK_TEST_B; pwd'], {
      env: { ...process.env, MDK_TEST_A: 'inherited', MDK_TEST_B: 'host' },
      spawn: { cwd: '/usr/share' },
    });
    assert.equal(r.stdout, 'inherited flag\n/usr/share\n', r.stderr);
  });
});
