/**
 * The C helper's netlink ops (`mdk-init net`, driven by links.ts) against
 * real namespaces: a veth into a network namespace this test made (address,
 * MAC, lo, default route, the host end on a bridge), its removal, and the
 * errors: a route the kernel refuses inside the namespace, a bridge that
 * does not exist, a namespace whose process is gone. Every link carries the
 * test's prefix; the namespace holds only what the test put there.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MobyDickError } from '../../src/errors.js';
import { addVeth, deleteLink, linkExists, removeInside } from '../../src/network/links.js';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { run, sleep } from '../helpers/cli.js';

// interface names have at most 15 characters
const tag = String(process.pid % 10000);
const BRIDGE = `mdk-test-nb${tag}`;
const VETH = `mdk-test-nv${tag}`;
const MAC = '02:42:c6:33:64:07';

/** What `ip ARGS` prints inside PID's network namespace. */
async function ipIn(pid: number, ...args: string[]): Promise<string> {
  const r = await run('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('netlink ops of the C helper', () => {
  let ns: ChildProcess;
  let pid: number;

  beforeEach(async () => {
    const r = await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    assert.equal(r.code, 0, r.stderr);
    ns = spawn('unshare', ['--net', '--', 'sleep', '60'], { stdio: 'ignore' });
    pid = ns.pid!;
    // unshare execs sleep in the same process once the namespace is made
    const own = readlinkSync('/proc/self/ns/net');
    for (let i = 0; i < 200 && readlinkSync(`/proc/${pid}/ns/net`) === own; i++) await sleep(10);
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), own, 'the test namespace exists');
  });

  afterEach(async () => {
    ns.kill('SIGKILL');
    deleteLink(VETH);
    deleteLink(BRIDGE);
    assert.equal(linkExists(VETH) || linkExists(BRIDGE), false, 'no link left');
  });

  test('a veth into the namespace: eth0 with its MAC, address and default route, lo up, the host end up on the bridge; then removed', async () => {
    addVeth({ pid, hostVeth: VETH, bridge: BRIDGE, ifname: 'eth0', mac: MAC, ip: '198.51.100.7', bits: 24, gateway: '198.51.100.1' });
    const links = await ipIn(pid, '-o', 'link');
    assert.match(links, /^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
    assert.match(links, new RegExp(`: eth0@if\\d+: <BROADCAST,MULTICAST,UP,LOWER_UP>.* link/ether ${MAC} `));
    assert.match(await ipIn(pid, '-o', '-4', 'addr', 'show', 'eth0'), /inet 198\.51\.100\.7\/24 brd 198\.51\.100\.255 /);
    assert.equal(await ipIn(pid, 'route'), 'default via 198.51.100.1 dev eth0 \n198.51.100.0/24 dev eth0 proto kernel scope link src 198.51.100.7 \n');
    assert.equal(readlinkSync(`/sys/class/net/${VETH}/master`).split('/').pop(), BRIDGE);
    assert.equal(readFileSync(`/sys/class/net/${VETH}/operstate`, 'utf8').trim(), 'up');

    removeInside(pid, 'eth0');
    assert.doesNotMatch(await ipIn(pid, '-o', 'link'), /eth0/);
    assert.equal(linkExists(VETH), false, 'the host end went with it');
  });

  test('a route the kernel refuses inside the namespace: the step, the op, its errno and the kernel\'s reason; nothing left', async () => {
    const err = catchError(() => addVeth({ pid, hostVeth: VETH, bridge: BRIDGE, ifname: 'eth0', mac: MAC, ip: '198.51.100.7', bits: 24, gateway: '203.0.113.1' }, 'mdk-test-nl-c1'));
    assert.equal(err.code, 'NETWORK');
    assert.equal(err.message, `connecting the container to bridge ${BRIDGE} (eth0): adding the default route via 203.0.113.1 on eth0 in the container failed: network is unreachable (ENETUNREACH): Nexthop has invalid gateway`);
    assert.equal(err.details.container, 'mdk-test-nl-c1');
    assert.equal(err.details.errnoName, 'ENETUNREACH');
    assert.equal(linkExists(VETH), false, 'the half-made veth is gone');
    assert.doesNotMatch(await ipIn(pid, '-o', 'link'), /eth0/);
  });

  test('a bridge that does not exist: the host-side op names it; the veth is deleted again', async () => {
    const err = catchError(() => addVeth({ pid, hostVeth: VETH, bridge: 'mdk-test-nobr', ifname: 'eth0', mac: MAC, ip: '198.51.100.7', bits: 24 }));
    assert.equal(err.message, `connecting the container to bridge mdk-test-nobr (eth0): attaching ${VETH} to bridge mdk-test-nobr failed: no such device (ENODEV): no link mdk-test-nobr`);
    assert.equal(linkExists(VETH), false);
    assert.doesNotMatch(await ipIn(pid, '-o', 'link'), /eth0/);
  });

  test('a namespace whose process is gone (a zombie holds the pid): a clear error before anything is made', () => {
    const addon = nativeAddon();
    const dead = addon.spawn('/bin/true', ['true'], [-1, -1, -1]);
    try {
      for (let i = 0; i < 500 && !/\) Z /.test(readFileSync(`/proc/${dead}/stat`, 'utf8')); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.equal(existsSync(`/proc/${dead}/ns/net`), false, 'a zombie has no namespaces');
      const add = catchError(() => addVeth({ pid: dead, hostVeth: VETH, bridge: BRIDGE, ifname: 'eth0', mac: MAC, ip: '198.51.100.7', bits: 24 }, 'mdk-test-nl-c2'));
      assert.equal(add.code, 'NETWORK');
      assert.equal(add.message, `connecting the container to bridge ${BRIDGE} (eth0): cannot open the container's network namespace /proc/${dead}/ns/net: its process is gone`);
      assert.equal(add.details.container, 'mdk-test-nl-c2');
      assert.match(add.details.hint ?? '', /stopped/);
      assert.equal(linkExists(VETH), false);
      const remove = catchError(() => removeInside(dead, 'eth1'));
      assert.match(remove.message, /^removing eth1 from the container: cannot open the container's network namespace/);
    } finally {
      addon.wait(dead);
    }
  });
});

function catchError(fn: () => void): MobyDickError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MobyDickError, String(e));
    return e;
  }
  assert.fail('no error');
}
