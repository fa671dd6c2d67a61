import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vethScripts } from './links.js';

test('a veth: made on the host with its peer in the container, then addressed inside', () => {
  const s = vethScripts({ pid: 42, hostVeth: 'mdkv1', bridge: 'mdk0', ifname: 'eth0', mac: '02:42:ac:11:00:02', ip: '172.17.0.2', bits: 16, gateway: '172.17.0.1' });
  assert.equal(s.host, 'link add mdkv1 type veth peer name eth0 address 02:42:ac:11:00:02 netns 42\nlink set mdkv1 master mdk0\nlink set mdkv1 up\n');
  assert.equal(s.container, 'link set lo up\naddr add 172.17.0.2/16 dev eth0\nlink set eth0 up\nroute add default via 172.17.0.1 dev eth0\n');
  const second = vethScripts({ pid: 42, hostVeth: 'mdkv2', bridge: 'mdk-1', ifname: 'eth1', mac: '02:42:ac:12:00:02', ip: '172.18.0.2', bits: 16 });
  assert.doesNotMatch(second.container, /route/);
});
