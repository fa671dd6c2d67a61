import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { type LinkOp, linkOpsArgv, linkOpsError, needsNetns, removeInsideOps, vethOps } from './link-ops.js';

const plan = { pid: 42, hostVeth: 'mdkv1', bridge: 'mdk0', ifname: 'eth0', mac: '02:42:ac:11:00:02', ip: '172.17.0.2', bits: 16, gateway: '172.17.0.1' };

test('a veth: made on the host with its peer in the container, enslaved and up; then lo, address, link and default route inside', () => {
  const ops = vethOps(plan);
  assert.deepEqual(ops, [
    { op: 'veth', host: 'mdkv1', peer: 'eth0', mac: '02:42:ac:11:00:02' },
    { op: 'master', link: 'mdkv1', bridge: 'mdk0' },
    { op: 'up', link: 'mdkv1' },
    { op: 'netns' },
    { op: 'up', link: 'lo' },
    { op: 'addr', link: 'eth0', cidr: '172.17.0.2/16' },
    { op: 'up', link: 'eth0' },
    { op: 'route', dest: '0.0.0.0/0', gateway: '172.17.0.1', link: 'eth0' },
  ]);
  // the helper's argv: the namespace is fd 3 for both the veth's peer and netns
  assert.deepEqual(linkOpsArgv(ops), [
    'veth', 'mdkv1', 'eth0', '02:42:ac:11:00:02', '3',
    'master', 'mdkv1', 'mdk0',
    'up', 'mdkv1',
    'netns', '3',
    'up', 'lo',
    'addr', 'eth0', '172.17.0.2/16',
    'up', 'eth0',
    'route', '0.0.0.0/0', '172.17.0.1', 'eth0',
  ]);
  assert.equal(needsNetns(ops), true);
});

test('a second network: no default route through it', () => {
  const { gateway: _, ...rest } = plan;
  const ops = vethOps({ ...rest, hostVeth: 'mdkv2', bridge: 'mdk-1', ifname: 'eth1', ip: '172.18.0.2', bits: 24 });
  assert.equal(ops.some((o) => o.op === 'route'), false);
  assert.deepEqual(ops.at(-1), { op: 'up', link: 'eth1' });
  assert.deepEqual(linkOpsArgv(ops).slice(-5), ['addr', 'eth1', '172.18.0.2/24', 'up', 'eth1']);
});

test('removing an interface happens inside the container; deleting a host link needs no namespace', () => {
  assert.deepEqual(linkOpsArgv(removeInsideOps('eth1')), ['netns', '3', 'del', 'eth1']);
  assert.equal(needsNetns(removeInsideOps('eth1')), true);
  assert.equal(needsNetns([{ op: 'del', link: 'mdkv1' }]), false);
});

test('the helper\'s error line becomes a NETWORK error naming the step, the op, where it ran, the errno and the kernel\'s reason', () => {
  const ops = vethOps(plan);
  const inside = linkOpsError('error\t7\troute\t101\tNexthop has invalid gateway\n', ops, 'connecting the container to bridge mdk0 (eth0)', 'c0ffee');
  assert.ok(inside instanceof MobyDickError);
  assert.equal(inside.code, 'NETWORK');
  assert.equal(inside.message, 'connecting the container to bridge mdk0 (eth0): adding the default route via 172.17.0.1 on eth0 in the container failed: network is unreachable (ENETUNREACH): Nexthop has invalid gateway');
  assert.deepEqual(inside.details, { step: 'connecting the container to bridge mdk0 (eth0)', errno: 101, errnoName: 'ENETUNREACH', subject: 'eth0', container: 'c0ffee' });
  // before netns: on the host; no kernel message
  const host = linkOpsError('error\t1\tmaster\t19\tno link mdk0\n', ops, 'plugging');
  assert.equal(host.message, 'plugging: attaching mdkv1 to bridge mdk0 failed: no such device (ENODEV): no link mdk0');
  assert.equal(host.details.container, undefined);
  const veth = linkOpsError('error\t0\tveth\t17\t\n', ops, 'plugging');
  assert.equal(veth.message, 'plugging: creating veth mdkv1 with its peer eth0 (02:42:ac:11:00:02) in the container failed: file already exists (EEXIST)');
  assert.equal(veth.details.subject, 'mdkv1');
  const up = linkOpsError('error\t4\tup\t1\t\n', ops, 'plugging');
  assert.equal(up.message, 'plugging: setting lo up in the container failed: operation not permitted (EPERM)');
  const del = linkOpsError('error\t1\tdel\t19\tno link eth1\n', removeInsideOps('eth1'), 'removing eth1 from the container');
  assert.equal(del.message, 'removing eth1 from the container: deleting eth1 in the container failed: no such device (ENODEV): no link eth1');
  const netns = linkOpsError('error\t0\tnetns\t22\t\n', removeInsideOps('eth1'), 'removing eth1 from the container');
  assert.equal(netns.message, 'removing eth1 from the container: entering the container\'s network namespace failed: invalid argument (EINVAL)');
  assert.equal(netns.details.subject, 'netns');
});

test('a helper that fails otherwise (no socket, unknown ops, a crash) is a HELPER error, never a wrong op', () => {
  const ops = vethOps(plan);
  const socket = linkOpsError('error\t0\tsocket\t97\t\n', ops, 'plugging');
  assert.equal(socket.code, 'HELPER');
  assert.equal(socket.message, 'plugging: the network helper\'s socket failed: address family not supported (EAFNOSUPPORT)');
  const usage = linkOpsError('error\t0\tusage\t22\tunknown op or missing arguments: veth\n', ops, 'plugging');
  assert.equal(usage.code, 'HELPER');
  assert.match(usage.message, /network helper's usage failed: invalid argument \(EINVAL\): unknown op/);
  const crash = linkOpsError('', ops, 'plugging');
  assert.equal(crash.code, 'HELPER');
  assert.equal(crash.message, 'plugging: the network helper failed: no message');
  assert.match(crash.details.hint ?? '', /make build/);
});

/** One of each op; keyed by name, so TypeScript asks for one when LinkOp gains a member. */
const ONE_OF_EACH: { [N in LinkOp['op']]: Extract<LinkOp, { op: N }> } = {
  veth: { op: 'veth', host: 'h', peer: 'p', mac: 'm' },
  master: { op: 'master', link: 'l', bridge: 'b' },
  up: { op: 'up', link: 'l' },
  netns: { op: 'netns' },
  addr: { op: 'addr', link: 'l', cidr: 'c' },
  route: { op: 'route', dest: 'd', gateway: 'g', link: 'l' },
  del: { op: 'del', link: 'l' },
};

test('the ops and their arities are the same here and in native/src/netlink.c\'s table, both ways', () => {
  const src = readFileSync(new URL('../../../../native/src/netlink.c', import.meta.url), 'utf8');
  const table = src.slice(src.indexOf('} ops[] = {'), src.indexOf('\n};', src.indexOf('} ops[] = {')));
  const native = new Map([...table.matchAll(/\{"([a-z_]+)", (\d+), op_\w+\}/g)].map((m) => [m[1]!, Number(m[2])]));
  assert.equal(native.size, table.split('{"').length - 1, 'every row of netlink.c\'s table reads as {"name", nargs, op_handler}');
  const here = new Map(Object.values(ONE_OF_EACH).map((o) => {
    const [name, ...args] = linkOpsArgv([o]);
    return [name!, args.length];
  }));
  assert.deepEqual([...here.keys()].filter((n) => !native.has(n)), [], 'ops with no row in netlink.c');
  assert.deepEqual([...native.keys()].filter((n) => !here.has(n)), [], 'rows of netlink.c with no LinkOp');
  for (const [name, nargs] of here) assert.equal(nargs, native.get(name), name);
});
