/**
 * Run INSIDE the cgroup-v2-only test VM (test/integration/vm-cgroup-v2.test.ts
 * boots it; by hand: test/vm/run-in-vm node --test build/tsc/test/vm/guest/rootless-net-v2.js).
 * Rootless networking on a v2-only host with a delegated subtree, as the
 * issue's list asks of the VM: a test user loads busybox, `run -d -p
 * 127.0.0.1:PORT:8080` an httpd through pasta (the host's passt binary,
 * seen through the VM's read-only /), the page written by `exec`, fetched
 * from the VM's loopback through the published port, `logs`, `stop` and
 * `rm`; `--network none` and `host`. The VM has no network interface of
 * its own (QEMU runs with -nodefaults): pasta copies the addressing of the
 * host's (here the VM's) default route, so the test makes a dummy
 * interface with an address and a default route that lead nowhere, and
 * loads tun for pasta's tap (/dev/net/tun). Nothing is left: no pasta, no
 * cgroup in the delegated subtree, no container in the store. The user's
 * store is on the VM's tmpfs (/tmp), which has no user.* xattrs on 6.1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { CLI, type CliOptions, run, sleep } from '../../helpers/cli.js';
import { assertNoLeaks, processesWith, type Snapshot, snapshot } from '../../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs } from '../../helpers/rootfs.js';
import { freePort } from '../../helpers/registry.js';
import { listening } from '../../helpers/tcp-listening.js';
import { makeTestUser, type TestUser } from '../../helpers/test-user.js';
import { busyboxArchiveFor, type Delegated, delegateTo, guestProgress, SLOW } from './guest.js';

const CG = '/sys/fs/cgroup';
const SLICE = 'mdk-test-rlnet.slice';
/** the VM's stand-in for a host's uplink: an address and a default route, nothing behind them */
const UPLINK = 'mdktestup0';
const IMAGE = 'mdk-test-vm/rlnet:latest';

/** GET http://127.0.0.1:PORT/PATH: status and body; undefined when the connection fails. */
function fetchLocal(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

describe('rootless networking with a delegated cgroup v2 subtree (in the VM)', () => {
  let user: TestUser;
  let rootfs = '';
  let service = '';
  let scope = '';
  let delegated: Delegated | undefined;
  let snap: Snapshot;
  const dir = (...parts: string[]): string => join(CG, service, ...parts);
  /** the pasta processes of the user's containers (their pid files are in its store) */
  const pastas = () => processesWith(user.home).filter((p) => p.cmdline.startsWith('pasta'));

  /** moby-dick ARGS as the user, started from its scope below the delegated cgroup */
  const mdk = (args: readonly string[], options: CliOptions = {}) =>
    run('sh', ['-c', `echo $$ > "$0" && exec setpriv --reuid=${user.uid} --regid=${user.gid} --init-groups "$@"`, join(CG, scope, 'cgroup.procs'), CLI, ...args], {
      timeoutMs: SLOW,
      until: 'exit',
      ...options,
      env: { ...user.env, ...options.env },
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await mdk(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    // tun for pasta's tap device, dummy for the uplink: modules of the host's kernel package, seen through the VM's /
    execFileSync('modprobe', ['-a', 'tun', 'dummy']);
    // devtmpfs makes it 0600; udev's default rules make it 0666 on a host, so that pasta as a user may open it
    chmodSync('/dev/net/tun', 0o666);
    execFileSync('ip', ['link', 'add', UPLINK, 'type', 'dummy']);
    execFileSync('ip', ['addr', 'add', '192.0.2.15/24', 'dev', UPLINK]);
    execFileSync('ip', ['link', 'set', UPLINK, 'up']);
    execFileSync('ip', ['route', 'add', 'default', 'via', '192.0.2.1', 'dev', UPLINK]);
    user = makeTestUser('ranged');
    delegated = delegateTo(user, SLICE, ['memory', 'pids']);
    ({ service, scope } = delegated);
    // busybox as an OCI archive the user loads (no registry inside)
    rootfs = makeBusyboxRootfs();
    const archive = busyboxArchiveFor(user, rootfs, IMAGE);
    await ok('load', '-q', '-i', archive);
  });
  after(() => {
    try {
      user?.remove();
    } finally {
      if (rootfs) removeRootfs(rootfs);
      delegated?.remove();
      execFileSync('ip', ['link', 'del', UPLINK]);
      chmodSync('/dev/net/tun', 0o600);
    }
    assert.equal(existsSync(join(CG, SLICE)), false);
  });
  beforeEach((t) => {
    guestProgress(`rootless network: ${t.name}`);
    snap = snapshot();
  });
  afterEach(async () => {
    assert.deepEqual(pastas(), [], 'no pasta left');
    assert.equal(existsSync(dir('moby-dick')), false, 'no cgroup left in the delegated subtree');
    const containers = join(user.env.XDG_DATA_HOME!, 'moby-dick', 'containers');
    assert.deepEqual(existsSync(containers) ? readdirSync(containers) : [], [], 'no container left');
    await assertNoLeaks(snap, 'mdk-test-marker');
  });

  test('run -d -p: an httpd reached from the VM\'s loopback through pasta as the user; exec, logs; its cgroup in the delegated subtree; stop and rm leave nothing', async () => {
    const port = await freePort();
    const name = 'mdk-test-rlnet-web';
    const id = (await ok('run', '-d', '--name', name, '-p', `127.0.0.1:${port}:8080`, IMAGE, 'sh', '-c', 'trap "exit 0" TERM; mkdir -p /www && echo httpd-starts && httpd -f -p 8080 -h /www & wait # mdk-test-marker')).trim();
    try {
      assert.deepEqual(pastas().map((p) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1])), [user.uid], 'one pasta, as the user');
      assert.ok(existsSync(dir('moby-dick', id, 'cgroup.procs')), 'its cgroup below the delegated one');
      await ok('exec', name, 'sh', '-c', 'echo hello-from-vm > /www/index.html');
      let got: Awaited<ReturnType<typeof fetchLocal>>;
      for (let i = 0; i < 100 && got?.status !== 200; i++) {
        got = await fetchLocal(port, '/index.html');
        if (got?.status !== 200) await sleep(200);
      }
      assert.deepEqual(got, { status: 200, body: 'hello-from-vm\n' });
      assert.equal(await ok('logs', name), 'httpd-starts\n');
    } finally {
      await ok('stop', name);
    }
    assert.deepEqual(pastas(), [], 'stop ended pasta');
    assert.equal(listening(port), false, 'the port is free');
    assert.equal(await fetchLocal(port, '/'), undefined, 'refused');
    await ok('rm', name);
  });

  test('--network none: lo alone; --network host: the VM\'s interfaces, its /sys read-only, its own cgroup2 at /sys/fs/cgroup', async () => {
    const none = await ok('run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'ls /sys/class/net');
    assert.equal(none, 'lo\n');
    const host = await ok('run', '--rm', '--network', 'host', IMAGE, 'sh', '-c', 'ls /sys/class/net; echo ---; grep " /sys[ /]" /proc/mounts; echo ---; cat /proc/self/cgroup');
    const [links, sys, cgroup] = host.split('---\n');
    assert.deepEqual(links!.trim().split('\n').sort(), readdirSync('/sys/class/net').sort());
    assert.ok(links!.includes(UPLINK));
    assert.match(sys!, /^\S+ \/sys sysfs ro,/m);
    // its own cgroup2 view (cgroup namespace) on top of the host's, which the bound /sys brings along
    assert.match(sys!.trim().split('\n').filter((l) => l.split(' ')[1] === '/sys/fs/cgroup').at(-1)!, /^\S+ \/sys\/fs\/cgroup cgroup2 /);
    assert.equal(cgroup, '0::/\n');
  });
});
