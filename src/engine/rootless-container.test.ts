import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { type CreateRequest, plainCreateRequest } from './create-request.js';
import { refuseForRootlessContainer } from './rootless-container.js';

const req = (over: Partial<CreateRequest>): CreateRequest => ({ ...plainCreateRequest('busybox', ['true']), network: 'none', ...over });

describe('refuseForRootlessContainer', () => {
  test('--network none, host, the default (pasta), no limits: nothing refused', () => {
    assert.doesNotThrow(() => refuseForRootlessContainer(req({})));
    for (const network of ['default', 'bridge', 'host']) assert.doesNotThrow(() => refuseForRootlessContainer(req({ network })));
    assert.doesNotThrow(() => refuseForRootlessContainer(req({ pidsLimit: 0 })));
  });
  test('each thing that needs root in one line naming it', () => {
    const refused = (over: Partial<CreateRequest>, words: RegExp): void =>
      assert.throws(() => refuseForRootlessContainer(req(over)), (e: unknown) => e instanceof MobyDickError && words.test(e.message) && !e.message.includes('\n'));
    refused({ network: 'mynet' }, /^--network mynet: user-defined networks need root; a rootless container has the default network \(pasta\), host or none \(rootless\)$/);
    refused({ network: 'container:other' }, /^--network container:other: joining another container's network is not available to a rootless container yet \(rootless\)$/);
    refused({ privileged: true }, /^--privileged: the host's devices and all capabilities need root \(rootless\)$/);
    refused({ devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x', cgroupPermissions: 'rwm' }] }, /^--device: /);
    refused({ memory: 64 << 20, nanoCpus: 1e9 }, /^--memory, --cpus: cgroup limits are not available to a rootless container/);
  });
});
