import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { delegatedCgroupPath, type DelegationProbe, findDelegation, ownCgroupPath, refuseUndelegated, withoutDevices } from './delegation.js';
import type { CgroupLayout } from './layout.js';
import { MobyDickError } from '../errors.js';

const V2: CgroupLayout = { version: 2, v1: [], unified: '/sys/fs/cgroup' };
const USER = '/user.slice/user-1000.slice/user@1000.service';
const DIR = `/sys/fs/cgroup${USER}`;

/** A fake tree: owners of files, the writable ones, and file texts. */
function probe(over: { self?: string; owners?: Record<string, number>; writable?: string[]; files?: Record<string, string> } = {}): DelegationProbe {
  const owners = over.owners ?? { [DIR]: 1000 };
  const writable = over.writable ?? [`${DIR}/cgroup.procs`, `${DIR}/cgroup.subtree_control`];
  const files = over.files ?? { [`${DIR}/cgroup.controllers`]: 'cpu memory pids\n' };
  return {
    selfCgroup: () => over.self ?? `0::${USER}/term.scope\n`,
    owner: (f) => owners[f] ?? null,
    writable: (f) => writable.includes(f),
    read: (f) => files[f] ?? '',
  };
}

describe('findDelegation', () => {
  test('the parent of the own cgroup, when it is the user\'s, with its controllers; its layout is rooted there', () => {
    const d = findDelegation(V2, 1000, probe());
    assert.deepEqual(d, { path: USER, dir: DIR, controllers: ['cpu', 'memory', 'pids'], layout: { version: 2, v1: [], unified: DIR } });
  });

  test('none on v1 or hybrid hosts, or another user\'s, or without write access, or under the root', () => {
    assert.equal(findDelegation({ version: 1, v1: [{ mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'] }], unified: '/sys/fs/cgroup/unified' }, 1000, probe()), null);
    assert.equal(findDelegation(V2, 1001, probe()), null);
    assert.equal(findDelegation(V2, 1000, probe({ writable: [`${DIR}/cgroup.procs`] })), null, 'cgroup.subtree_control not writable');
    assert.equal(findDelegation(V2, 1000, probe({ writable: [`${DIR}/cgroup.subtree_control`] })), null, 'cgroup.procs not writable');
    assert.equal(findDelegation(V2, 1000, probe({ self: '0::/user.slice\n', owners: { '/sys/fs/cgroup': 1000 } })), null, 'never the root');
    assert.equal(findDelegation(V2, 1000, probe({ self: '0::/\n' })), null);
    assert.equal(findDelegation(V2, 1000, probe({ files: { [`${DIR}/cgroup.controllers`]: 'memory', [`${DIR}/cgroup.procs`]: '42\n' } })), null, 'it holds a process');
    assert.equal(findDelegation(V2, 1000, probe({ self: '12:memory:/x\n' })), null, 'no v2 line');
  });

  test('the own cgroup alone delegated (its parent not) is not used: it holds the caller', () => {
    const own = `${DIR}/term.scope`;
    const p = probe({ owners: { [own]: 1000 }, writable: [`${own}/cgroup.procs`, `${own}/cgroup.subtree_control`], files: { [`${own}/cgroup.controllers`]: 'memory' } });
    assert.equal(findDelegation(V2, 1000, p), null);
  });

  test('ownCgroupPath: the v2 line of /proc/self/cgroup', () => {
    assert.equal(ownCgroupPath('0::/a/b\n'), '/a/b');
    assert.equal(ownCgroupPath('3:cpu:/a\n'), null);
  });
});

describe('delegatedCgroupPath', () => {
  const d = findDelegation(V2, 1000, probe())!;
  test('the runtime\'s path below the delegated cgroup; one already below it as is', () => {
    assert.equal(delegatedCgroupPath(d, '/moby-dick/c1'), '/moby-dick/c1');
    assert.equal(delegatedCgroupPath(d, `${USER}/mine/c1`), '/mine/c1');
    assert.equal(delegatedCgroupPath(d, `${USER}x/c1`), `${USER}x/c1`, 'a sibling with the same prefix is not below it');
  });
});

describe('refuseUndelegated', () => {
  const d = findDelegation(V2, 1000, probe())!;
  test('limits of delegated controllers pass; device rules are dropped, not refused', () => {
    assert.doesNotThrow(() => refuseUndelegated({ memory: { limit: 1 << 26 }, pids: { limit: 10 }, cpu: { quota: 50000, period: 100000 }, devices: [{ allow: false, access: 'rwm' }] }, d));
    assert.doesNotThrow(() => refuseUndelegated(undefined, d));
    assert.deepEqual(withoutDevices({ pids: { limit: 3 }, devices: [{ allow: false }] }), { pids: { limit: 3 } });
  });

  test('a limit whose controller is not delegated: one line naming it, the delegated ones and how to delegate', () => {
    assert.throws(
      () => refuseUndelegated({ memory: { limit: 1 << 26 }, blockIO: { weight: 500 }, cpu: { cpus: '0' } }, d),
      (e: unknown) => {
        assert.ok(e instanceof MobyDickError);
        assert.equal(e.message, `linux.resources: the cgroup controllers cpuset, io are not delegated to this user (${DIR}/cgroup.controllers: cpu memory pids)`);
        assert.match(e.details.hint ?? '', /Delegate=cpu cpuset io memory pids in \/etc\/systemd\/system\/user@\.service\.d\/delegate\.conf/);
        assert.match(e.details.hint ?? '', /\+cpuset \+io in cgroup\.subtree_control of each cgroup above/);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
    assert.throws(() => refuseUndelegated({ pids: { limit: 5 } }, { ...d, controllers: ['memory'] }, 'update'), /^MobyDickError: update: the cgroup controller pids is not delegated/);
  });
});
