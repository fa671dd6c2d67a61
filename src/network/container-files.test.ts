import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostsFile, parseAddHost, resolvConf } from './container-files.js';

test('the hosts file: localhost, --add-host, the container, its peers', () => {
  const text = hostsFile([{ ip: '10.9.9.9', names: ['db.example'] }], [{ ip: '172.18.0.2', names: ['web', 'web', 'abc123'] }], [{ ip: '172.18.0.3', names: ['api', 'backend'] }]);
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '127.0.0.1\tlocalhost');
  assert.deepEqual(lines.slice(-3), ['10.9.9.9\tdb.example', '172.18.0.2\tweb abc123', '172.18.0.3\tapi backend']);
});

test('--add-host forms', () => {
  assert.deepEqual(parseAddHost('db:10.0.0.5', undefined), { ip: '10.0.0.5', names: ['db'] });
  assert.deepEqual(parseAddHost('db=10.0.0.5', undefined), { ip: '10.0.0.5', names: ['db'] });
  assert.deepEqual(parseAddHost('gw:host-gateway', '172.17.0.1'), { ip: '172.17.0.1', names: ['gw'] });
  assert.throws(() => parseAddHost('nocolon', undefined), /bad format for add-host/);
  assert.throws(() => parseAddHost('gw:host-gateway', undefined), /bridge network/);
});

const none = { servers: [], search: [], options: [] };

test("resolv.conf: the host's without loopback servers", () => {
  const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nsearch corp.example\noptions edns0\n';
  assert.equal(resolvConf(host, none, false), 'nameserver 10.255.255.53\nsearch corp.example\noptions edns0\n');
  assert.equal(resolvConf(host, none, true), 'nameserver 127.0.0.53\nnameserver 10.255.255.53\nsearch corp.example\noptions edns0\n');
  assert.equal(resolvConf('nameserver 127.0.0.53\n', none, false), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});

test('--dns, --dns-search and --dns-option replace their lines', () => {
  const host = 'nameserver 10.255.255.53\nsearch corp.example\noptions edns0\n';
  assert.equal(resolvConf(host, { servers: ['192.0.2.53'], search: ['a.example'], options: ['ndots:2'] }, false), 'nameserver 192.0.2.53\nsearch a.example\noptions ndots:2\n');
});
