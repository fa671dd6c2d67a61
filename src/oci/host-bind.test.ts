import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { type HostMounts, mountBelow, releaseHostRoot } from './host-bind.js';

/** A stack of mount ids at one path; unmount takes the top one. */
function fakeHost(stack: number[], fail?: string): HostMounts & { unmounted: number } {
  const host = {
    unmounted: 0,
    mountId: () => stack.at(-1)!,
    unmount: () => {
      if (fail) throw Object.assign(new Error(fail), { code: fail });
      stack.pop();
      host.unmounted++;
    },
  };
  return host;
}

describe('a root bound in the runtime\'s mount namespace', () => {
  test('everything stacked at the root since create began comes off, and nothing below it', () => {
    const host = fakeHost([27, 301, 305]); // the rootfs's own mount, our bind, a mount the container made on its /
    releaseHostRoot('/r', 27, host);
    assert.equal(host.unmounted, 2);
    const untouched = fakeHost([27]);
    releaseHostRoot('/r', 27, untouched);
    assert.equal(untouched.unmounted, 0);
  });

  test('a failed unmount names the root and how to take it off by hand; a missing root is not an error', () => {
    assert.throws(() => releaseHostRoot('/r', 27, fakeHost([27, 301], 'EBUSY')), (e: unknown) => e instanceof MobyDickError && /cannot unmount the container root \/r from the host: EBUSY/.test(e.message) && /umount -l \/r/.test(e.details.hint ?? ''));
    const gone: HostMounts = { mountId: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); }, unmount: () => {} };
    assert.doesNotThrow(() => releaseHostRoot('/r', 27, gone));
    assert.throws(() => mountBelow('/r', gone), /config\.json: root\.path: cannot read \/r: ENOENT/);
  });
});
