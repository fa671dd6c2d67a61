import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRootlessPorts, pastaArgs } from './pasta-args.js';

test('pastaArgs: the namespaces of the pid, tcp and udp forwards apart, nothing towards the host', () => {
  const args = pastaArgs(42, [
    { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, containerPort: 80 },
    { protocol: 'tcp', hostIp: '', hostPort: 18443, containerPort: 443 },
    { protocol: 'udp', hostIp: '', hostPort: 15353, containerPort: 53 },
  ], '/run/x/pasta.pid');
  assert.deepEqual(args, [
    '--config-net', '--quiet', '--no-map-gw', '-P', '/run/x/pasta.pid',
    '-t', '127.0.0.1/18080:80,18443:443', '-u', '15353:53', '-T', 'none', '-U', 'none',
    '--userns', '/proc/42/ns/user', '--netns', '/proc/42/ns/net',
  ]);
  const none = pastaArgs(7, [], '/p');
  assert.equal(none[none.indexOf('-t') + 1], 'none');
  assert.equal(none[none.indexOf('-u') + 1], 'none');
});

test('checkRootlessPorts: a host port below the floor refused in one line; the floor itself and picked ports pass', () => {
  assert.throws(() => checkRootlessPorts([{ protocol: 'tcp', hostIp: '', hostPort: 80, containerPort: 80 }], 1024), /^Error: -p 80:80: host port 80 is below the unprivileged port floor 1024 \(rootless\)$|-p 80:80: host port 80 is below the unprivileged port floor 1024 \(rootless\)/);
  checkRootlessPorts([{ protocol: 'tcp', hostIp: '', hostPort: 1024, containerPort: 80 }, { protocol: 'udp', hostIp: '', hostPort: 0, containerPort: 53 }], 1024);
  checkRootlessPorts([{ protocol: 'tcp', hostIp: '', hostPort: 80, containerPort: 80 }], 0);
});
