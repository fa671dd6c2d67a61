import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeName, netConfig, vethName } from './net-config.js';

test('default names, and a prefix owning every name', () => {
  const d = netConfig({ MOBY_DICK_CONFIG: '/nonexistent/mdk-test-config.json' });
  assert.deepEqual(d, { prefix: 'mdk', table: 'moby-dick', defaultBridge: 'mdk0' });
  const t = netConfig({ MOBY_DICK_NET_PREFIX: 'mdkt12', MOBY_DICK_CONFIG: '/nonexistent/mdk-test-config.json' });
  assert.equal(t.table, 'mdkt12');
  assert.equal(t.defaultBridge, 'mdkt120');
  assert.throws(() => netConfig({ MOBY_DICK_NET_PREFIX: 'Bad-Prefix' }), /MOBY_DICK_NET_PREFIX/);
});

test('interface names fit IFNAMSIZ and differ per container and network', () => {
  const c = netConfig({ MOBY_DICK_CONFIG: '/nonexistent/mdk-test-config.json' });
  const id = 'ab'.repeat(32);
  assert.equal(bridgeName(c, id), 'mdk-ababababab' + 'a');
  assert.equal(bridgeName(c, id).length, 15);
  const v = vethName(c, id, 'n1');
  assert.equal(v.length, 15);
  assert.ok(v.startsWith('mdkv'));
  assert.notEqual(v, vethName(c, id, 'n2'));
});
