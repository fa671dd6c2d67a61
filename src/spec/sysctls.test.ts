import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkContainerSysctls, sysctlNamespace } from './sysctls.js';

const PRIVATE = { network: false, ipc: false, uts: false };

test('which namespace confines a sysctl, as runc has it', () => {
  assert.deepEqual(sysctlNamespace('net.ipv4.ip_forward'), { type: 'network' });
  assert.deepEqual(sysctlNamespace('kernel.shmmax'), { type: 'ipc' });
  assert.deepEqual(sysctlNamespace('fs.mqueue.msg_max'), { type: 'ipc' });
  assert.deepEqual(sysctlNamespace('kernel.domainname'), { type: 'uts' });
  assert.ok('refused' in sysctlNamespace('kernel.hostname'));
  assert.ok('refused' in sysctlNamespace('vm.swappiness'));
  assert.ok('refused' in sysctlNamespace('kernel.core_pattern'));
});

test('--sysctl: namespaced ones in namespaces of the container\'s own; the host\'s kernel is refused clearly', () => {
  assert.doesNotThrow(() => checkContainerSysctls({ 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '8192', 'net/ipv4/ping_group_range': '0 0', 'kernel.domainname': 'x' }, PRIVATE));
  assert.throws(() => checkContainerSysctls({ 'vm.swappiness': '1' }, PRIVATE), /sysctl 'vm.swappiness' is not allowed: not namespaced: writing it would change the host's kernel/);
  assert.throws(() => checkContainerSysctls({ 'kernel.hostname': 'x' }, PRIVATE), /sysctl 'kernel.hostname' is not allowed: conflicts with the hostname field/);
  assert.throws(() => checkContainerSysctls({ 'net.ipv4.ip_forward': '1' }, { ...PRIVATE, network: true }), /the container runs in the host's network namespace \(--network host\)/);
  assert.throws(() => checkContainerSysctls({ 'kernel.sem': '1 1 1 1' }, { ...PRIVATE, ipc: true }), /host's IPC namespace \(--ipc host\)/);
  assert.throws(() => checkContainerSysctls({ 'kernel.domainname': 'x' }, { ...PRIVATE, uts: true }), /host's UTS namespace \(--uts host\)/);
  assert.throws(() => checkContainerSysctls({ 'user.max_user_namespaces': '1' }, PRIVATE), /no user namespace/);
});
