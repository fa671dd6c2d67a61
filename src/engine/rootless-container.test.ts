import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { type CreateRequest, plainCreateRequest } from './create-request.js';
import { refuseForRootlessContainer, refuseRootlessStats } from './rootless-container.js';

const req = (over: Partial<CreateRequest>): CreateRequest => ({ ...plainCreateRequest('busybox', ['true']), network: 'none', ...over });

describe('refuseForRootlessContainer', () => {
  test('--network none, host, the default (pasta), no limits: nothing refused', () => {
    assert.doesNotThrow(() => refuseForRootlessContainer(req({})));
    for (const network of ['default', 'bridge', 'host']) assert.doesNotThrow(() => refuseForRootlessContainer(req({ network })));
    assert.doesNotThrow(() => refuseForRootlessContainer(req({ pidsLimit: 0 })));
    for (const [pid, ipc] of [['host', 'host'], [undefined, 'shareable'], [undefined, 'private']]) assert.doesNotThrow(() => refuseForRootlessContainer(req({ ...(pid ? { pid } : {}), ipc })));
  });
  test('each thing that needs root in one line naming it', () => {
    const refused = (over: Partial<CreateRequest>, words: RegExp): void =>
      assert.throws(() => refuseForRootlessContainer(req(over)), (e: unknown) => e instanceof MobyDickError && words.test(e.message) && !e.message.includes('\n'));
    refused({ network: 'mynet' }, /^--network mynet: user-defined networks need root; a rootless container has the default network \(pasta\), host or none \(rootless\)$/);
    refused({ network: 'container:other' }, /^--network container:other: joining another container's network is not available to a rootless container yet \(rootless\)$/);
    refused({ pid: 'container:other' }, /^--pid container:other: joining another container's namespaces is not available to a rootless container yet \(rootless\)$/);
    refused({ ipc: 'container:other' }, /^--ipc container:other: joining another container's namespaces is not available to a rootless container yet \(rootless\)$/);
    refused({ privileged: true }, /^--privileged: the host's devices and all capabilities need root \(rootless\)$/);
    refused({ devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x', cgroupPermissions: 'rwm' }] }, /^--device: /);
    refused({ memory: 64 << 20, nanoCpus: 1e9 }, /^--memory, --cpus: cgroup limits are not available to a rootless container/);
  });
});

describe('refuseForRootlessContainer with a delegated subtree', () => {
  const delegation = { path: '/user.slice/user@1000.service', dir: '/sys/fs/cgroup/user.slice/user@1000.service', controllers: ['cpu', 'memory', 'pids'], layout: { version: 2 as const, v1: [], unified: '/sys/fs/cgroup/user.slice/user@1000.service' } };
  test('limits of delegated controllers pass', () => {
    assert.doesNotThrow(() => refuseForRootlessContainer(req({ memory: 64 << 20, memoryReservation: 32 << 20, nanoCpus: 5e8, cpuShares: 512, pidsLimit: 20 }), delegation));
  });
  test('a limit of a controller not delegated: one line naming its flags and controllers', () => {
    assert.throws(
      () => refuseForRootlessContainer(req({ memory: 64 << 20, cpusetCpus: '0', blkioWeight: 300 }), delegation),
      (e: unknown) =>
        e instanceof MobyDickError &&
        e.message === '--cpuset-cpus, --blkio-weight: the cgroup controllers cpuset, io are not delegated to this user (/sys/fs/cgroup/user.slice/user@1000.service/cgroup.controllers: cpu memory pids)' &&
        /Delegate=/.test(e.details.hint ?? ''),
    );
  });
  test('without one, --cpuset-cpus is refused too (not dropped silently)', () => {
    assert.throws(() => refuseForRootlessContainer(req({ cpusetCpus: '0' })), (e: unknown) => e instanceof MobyDickError && /^--cpuset-cpus: cgroup limits are not available to a rootless container/.test(e.message));
  });
});

describe('refuseRootlessStats', () => {
  test('as root, or with a delegated subtree: nothing refused', () => {
    assert.doesNotThrow(() => refuseRootlessStats(false, () => null));
    assert.doesNotThrow(() => refuseRootlessStats(true, () => ({ path: '/u', dir: '/sys/fs/cgroup/u', controllers: [], layout: { version: 2, v1: [], unified: '/sys/fs/cgroup/u' } })));
  });
  test('rootless without one: one line, NOT_ROOT', () => {
    assert.throws(() => refuseRootlessStats(true, () => null), (e: unknown) => e instanceof MobyDickError && e.code === 'NOT_ROOT' && /^stats: not available to a rootless container without a cgroup v2 subtree delegated to this user/.test(e.message) && !e.message.includes('\n'));
  });
});
