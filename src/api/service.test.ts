import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { defaultHost, groupId, listenAddress } from './service.js';

test('--host: a unix socket; tcp:// only with TLS, refused without it with the reason and what to do', () => {
  assert.deepEqual(listenAddress('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  assert.throws(() => listenAddress('unix://x.sock'), /must be absolute/);
  assert.throws(
    () => listenAddress('tcp://0.0.0.0:2375'),
    (e: unknown) => e instanceof MobyDickError && /TCP needs TLS client verification/.test(e.message) && /--tlsverify/.test(e.details.hint ?? '') && /unix socket/.test(e.details.hint ?? ''),
  );
  assert.deepEqual(listenAddress('tcp://127.0.0.1:2399', true), { kind: 'tcp', host: '127.0.0.1', port: 2399 });
  assert.deepEqual(listenAddress('tcp://0.0.0.0', true), { kind: 'tcp', host: '0.0.0.0', port: 2376 });
  assert.deepEqual(listenAddress('tcp://[::1]:2400', true), { kind: 'tcp', host: '::1', port: 2400 });
  assert.throws(() => listenAddress('tcp://127.0.0.1:99999', true), /expected tcp:\/\/HOST\[:PORT\]/);
  assert.throws(() => listenAddress('tcp://127.0.0.1:80/x', true), /expected tcp:\/\/HOST\[:PORT\]/);
  assert.throws(() => listenAddress('ssh://host'), /expected unix:\/\/\/PATH or tcp:\/\/HOST:PORT/);
});

test('--group: a gid, or a name of /etc/group', () => {
  const etc = () => 'root:x:0:\ndocker:x:998:alice\n';
  assert.equal(groupId('998', etc), 998);
  assert.equal(groupId('docker', etc), 998);
  assert.throws(() => groupId('nope', etc), /group nope does not exist/);
});

test('defaultHost: root\'s under /run; an ordinary user\'s in its run-time directory (as Podman\'s)', () => {
  assert.equal(defaultHost(false), 'unix:///run/moby-dick/moby-dick.sock');
  assert.equal(defaultHost(true, () => '/run/user/1000'), 'unix:///run/user/1000/moby-dick/moby-dick.sock');
});
