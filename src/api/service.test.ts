import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { groupId, socketPathOf } from './service.js';

test('--host: unix sockets only; tcp:// refused with the reason and what to do', () => {
  assert.equal(socketPathOf('unix:///run/x.sock'), '/run/x.sock');
  assert.throws(() => socketPathOf('unix://x.sock'), /must be absolute/);
  assert.throws(() => socketPathOf('tcp://0.0.0.0:2375'), (e: unknown) => e instanceof MobyDickError && /TCP needs TLS client verification/.test(e.message) && /unix socket/.test(e.details.hint ?? ''));
  assert.throws(() => socketPathOf('ssh://host'), /expected unix:\/\/\/PATH/);
});

test('--group: a gid, or a name of /etc/group', () => {
  const etc = () => 'root:x:0:\ndocker:x:998:alice\n';
  assert.equal(groupId('998', etc), 998);
  assert.equal(groupId('docker', etc), 998);
  assert.throws(() => groupId('nope', etc), /group nope does not exist/);
});
