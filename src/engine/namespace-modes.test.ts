import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownNamespaces, parseNamespaceModes } from './namespace-modes.js';

test('--ipc: private (default), shareable, host, none, container:NAME; anything else refused', () => {
  assert.deepEqual(parseNamespaceModes({}).ipc, { mode: 'private' });
  for (const m of ['private', 'shareable', 'host', 'none'] as const) assert.deepEqual(parseNamespaceModes({ ipc: m }).ipc, { mode: m });
  assert.deepEqual(parseNamespaceModes({ ipc: 'container:web' }).ipc, { mode: 'container', ref: 'web' });
  assert.throws(() => parseNamespaceModes({ ipc: 'container:' }), /--ipc: invalid IPC mode: "container:"/);
  assert.throws(() => parseNamespaceModes({ ipc: 'shared' }), /--ipc: invalid IPC mode: "shared"/);
});

test('--pid host|container:NAME, --uts host, --userns host; anything else refused', () => {
  assert.deepEqual(parseNamespaceModes({}).pid, { mode: '' });
  assert.deepEqual(parseNamespaceModes({ pid: 'host' }).pid, { mode: 'host' });
  assert.deepEqual(parseNamespaceModes({ pid: 'container:0abc' }).pid, { mode: 'container', ref: '0abc' });
  assert.throws(() => parseNamespaceModes({ pid: 'private' }), /--pid: invalid PID mode: "private"/);
  assert.equal(parseNamespaceModes({ uts: 'host' }).uts, 'host');
  assert.throws(() => parseNamespaceModes({ uts: 'container:x' }), /--uts: invalid UTS mode/);
  assert.equal(parseNamespaceModes({ userns: 'host' }).userns, 'host');
  assert.throws(() => parseNamespaceModes({ userns: 'keep-id' }), /--userns: invalid USER mode: "keep-id": moby-dick has no user namespace remapping/);
});

test('what the modes give without another container: the host\'s namespaces, no /dev/shm for --ipc none', () => {
  assert.deepEqual(ownNamespaces({ ipc: 'private', pid: '', uts: '', userns: '' }), {});
  assert.deepEqual(ownNamespaces({ ipc: 'host', pid: 'host', uts: 'host', userns: 'host' }), { ipc: { mode: 'host' }, shm: { mode: 'host' }, pid: { mode: 'host' }, uts: { mode: 'host' } });
  assert.deepEqual(ownNamespaces({ ipc: 'none', pid: 'container:abc', uts: '', userns: '' }), { shm: { mode: 'none' } });
});
