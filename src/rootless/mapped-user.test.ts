import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { checkMappedUser, mappedRanges } from './mapped-user.js';

const single = [{ containerID: 0, hostID: 1500, size: 1 }];
const ranged = [{ containerID: 0, hostID: 1500, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];

describe('checkMappedUser', () => {
  test('mappedRanges: single ids alone, ranges as first-last', () => {
    assert.equal(mappedRanges(ranged), '0, 1-65536');
  });

  test('ids the maps cover pass', () => {
    checkMappedUser({ uid: 0, gid: 0 }, single, single, 'me');
    checkMappedUser({ uid: 65536, gid: 1000 }, ranged, ranged, 'me');
  });

  test('an unmapped uid: one line naming it, the ranges, and a hint to add a range when there is none', () => {
    assert.throws(
      () => checkMappedUser({ uid: 1000, gid: 0 }, single, single, 'me'),
      (e: unknown) => {
        assert.ok(e instanceof MobyDickError);
        assert.equal(e.message, "-u: uid 1000 is not mapped in the container's user namespace (mapped uids: 0)");
        assert.match(e.details.hint ?? '', /give me a range in \/etc\/subuid and \/etc\/subgid .*usermod --add-subuids/);
        return true;
      },
    );
  });

  test('beyond the range: a hint to pick a mapped id or widen it; an unmapped gid is named as a gid', () => {
    assert.throws(() => checkMappedUser({ uid: 70000, gid: 0 }, ranged, ranged, 'me'), (e: MobyDickError) => /uid 70000 .*mapped uids: 0, 1-65536/.test(e.message) && /pick an id in 0, 1-65536/.test(e.details.hint ?? ''));
    assert.throws(() => checkMappedUser({ uid: 0, gid: 70000 }, ranged, ranged, 'me'), (e: MobyDickError) => /^-u: gid 70000 .*mapped gids: 0, 1-65536/.test(e.message) && /\/etc\/subgid/.test(e.details.hint ?? ''));
  });
});
