import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { createRequestOf, publishSpec, resourceLimits, restartPolicy } from './container-options.js';

describe('library container options: the CreateRequest they make', () => {
  test('the defaults are docker run\'s with no flags, but the command and a bridge network', () => {
    const r = createRequestOf({ image: 'busybox' });
    assert.deepEqual([r.tty, r.openStdin, r.publish, r.publishAll, r.autoRemove, r.restart, r.ulimits, r.memory], [false, false, [], false, false, { name: 'no', maximumRetryCount: 0 }, [], undefined]);
    assert.equal(r.network, 'bridge');
  });

  test('ports as -p writes them: host address (IPv6 in brackets), host port, protocol', () => {
    assert.equal(publishSpec({ containerPort: 80 }), '80/tcp');
    assert.equal(publishSpec({ containerPort: 80, hostPort: 8080 }), '8080:80/tcp');
    assert.equal(publishSpec({ containerPort: 80, hostIp: '127.0.0.1' }), '127.0.0.1::80/tcp');
    assert.equal(publishSpec({ containerPort: 53, hostPort: 5353, hostIp: '::1', protocol: 'udp' }), '[::1]:5353:53/udp');
    assert.deepEqual(createRequestOf({ image: 'x', ports: [{ containerPort: 80 }], publishAll: true }).publish, ['80/tcp']);
  });

  test('resources: cpus in billionths, only what is given, ulimits copied', () => {
    assert.deepEqual(resourceLimits({ memory: 1 << 26, cpus: 0.5, pidsLimit: 10, ulimits: [{ name: 'nofile', soft: 1, hard: 2 }] }), {
      ulimits: [{ name: 'nofile', soft: 1, hard: 2 }],
      memory: 1 << 26,
      pidsLimit: 10,
      nanoCpus: 500_000_000,
    });
    assert.throws(() => resourceLimits({ cpus: 0 }), /invalid value for cpus: 0/);
    assert.throws(() => resourceLimits({ cpus: Number.NaN }), MobyDickError);
  });

  test('restart: the policy and its count, Docker\'s refusals', () => {
    assert.deepEqual(restartPolicy(undefined), { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(restartPolicy({ policy: 'on-failure', maximumRetryCount: 3 }), { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual(restartPolicy({ policy: 'unless-stopped' }), { name: 'unless-stopped', maximumRetryCount: 0 });
    assert.throws(() => restartPolicy({ policy: 'always', maximumRetryCount: 2 }), /cannot be used with restart policy 'always'/);
    assert.throws(() => restartPolicy({ policy: 'on-failure', maximumRetryCount: -1 }), /must be a positive integer/);
    assert.throws(() => restartPolicy({ policy: 'sometimes' as 'always' }), /unknown policy 'sometimes'/);
    assert.throws(() => createRequestOf({ image: 'x', autoRemove: true, restart: { policy: 'always' } }), /conflicting options/);
    assert.equal(createRequestOf({ image: 'x', autoRemove: true, restart: { policy: 'no' } }).autoRemove, true);
  });
});
