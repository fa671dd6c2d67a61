import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerProcesses, namespaceProcesses, type ProcView } from './container-processes.js';

/** A fake /proc: each pid with its pid and user namespaces; 'self' is pid 1's (the host's). */
function proc(table: Record<number, { pid: string; user: string } | null>): ProcView {
  const host = { pid: 'pid:[1]', user: 'user:[1]' };
  return {
    pids: () => Object.keys(table).map(Number),
    ns: (pid, ns) => (pid === 'self' ? host[ns] : (table[pid]?.[ns] ?? null)),
  };
}

describe('namespaceProcesses', () => {
  const fake = proc({
    1: { pid: 'pid:[1]', user: 'user:[1]' },
    100: { pid: 'pid:[1]', user: 'user:[1]' }, // its monitor, its pasta: the host's
    200: { pid: 'pid:[9]', user: 'user:[8]' }, // its init
    201: { pid: 'pid:[9]', user: 'user:[8]' }, // a child
    202: { pid: 'pid:[9]', user: 'user:[8]' }, // an exec'd process
    300: { pid: 'pid:[7]', user: 'user:[6]' }, // another container
    400: null, // unreadable (another user's)
  });
  test('its own PID namespace: every process there, nothing of the host or another container', () => {
    assert.deepEqual(namespaceProcesses(200, fake), [200, 201, 202]);
  });
  test('--pid host: by its user namespace', () => {
    const host = proc({ 1: { pid: 'pid:[1]', user: 'user:[1]' }, 50: { pid: 'pid:[1]', user: 'user:[5]' }, 51: { pid: 'pid:[1]', user: 'user:[5]' }, 60: { pid: 'pid:[1]', user: 'user:[1]' } });
    assert.deepEqual(namespaceProcesses(50, host), [50, 51]);
  });
  test('an init it cannot read, or in no namespace of its own: itself alone', () => {
    assert.deepEqual(namespaceProcesses(400, fake), [400]);
    assert.deepEqual(namespaceProcesses(100, fake), [100]);
  });
});

describe('containerProcesses', () => {
  const fake = proc({ 200: { pid: 'pid:[9]', user: 'user:[8]' }, 201: { pid: 'pid:[9]', user: 'user:[8]' }, 5: { pid: 'pid:[1]', user: 'user:[1]' } });
  test('as root: the cgroup\'s alone', () => {
    assert.deepEqual(containerProcesses([200], 200, false, fake), [200]);
  });
  test('rootless: the cgroup\'s and its namespace\'s, once each', () => {
    assert.deepEqual(containerProcesses([200], 200, true, fake), [200, 201]);
    assert.deepEqual(containerProcesses([201, 200], 200, true, fake), [200, 201]);
    assert.deepEqual(containerProcesses([], 0, true, fake), []);
  });
});
