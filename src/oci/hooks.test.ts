import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NAMESPACE_FLAGS } from '../linux/namespaces.js';
import { defaultSpec } from '../spec/default-spec.js';
import { hookPlan, pidInContainer } from './hooks.js';

describe('hooks in the container\'s namespaces', () => {
  test('the pid on stdin is the one the container sees: the last of NSpid', () => {
    const status = (nspid: string) => () => `Name:\tsleep\nTgid:\t4242\nNSpid:\t${nspid}\nNSpgid:\t4242\n`;
    assert.equal(pidInContainer(4242, status('4242\t1')), 1);
    assert.equal(pidInContainer(4242, status('4242\t17\t3')), 3);
    assert.equal(pidInContainer(4242, status('4242')), 4242, 'no pid namespace of its own');
    assert.equal(pidInContainer(4242, () => { throw new Error('gone'); }), 4242);
  });

  test('the hook joins every namespace the container lists, those joined by path too (a mount namespace included)', () => {
    const spec = defaultSpec();
    spec.linux!.namespaces = spec.linux!.namespaces!.map((n) => (n.type === 'mount' || n.type === 'network' ? { ...n, path: `/run/mdk-test-${n.type}` } : n));
    const plan = hookPlan(spec, 42, { path: '/bin/true' });
    const joined = plan.flatMap((o) => (o.op === 'setns' ? [[o.path, o.nstype] as const] : []));
    assert.deepEqual(joined.at(-1), ['/proc/42/ns/mnt', NAMESPACE_FLAGS.mount], 'mount last');
    assert.ok(joined.some(([p]) => p === '/proc/42/ns/net'));
    assert.ok(plan.some((o) => o.op === 'join_pid' && o.path === '/proc/42/ns/pid'));
  });
});
