import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkChownMapped } from './rootless-steps.js';

describe("an ordinary user's build step", () => {
  const uids = [
    { containerID: 0, hostID: 1002, size: 1 },
    { containerID: 1, hostID: 100000, size: 65536 },
  ];
  const gids = [
    { containerID: 0, hostID: 1002, size: 1 },
    { containerID: 1, hostID: 100000, size: 1000 },
  ];
  test('--chown to ids the user namespace maps: nothing refused', () => {
    assert.doesNotThrow(() => checkChownMapped({ uid: 0, gid: 0 }, uids, gids, 'u'));
    assert.doesNotThrow(() => checkChownMapped({ uid: 65536, gid: 1000 }, uids, gids, 'u'));
  });
  test('--chown beyond them: one line naming the id, the mapped ranges and the file to widen', () => {
    assert.throws(() => checkChownMapped({ uid: 65537, gid: 0 }, uids, gids, 'u'), (e: Error & { details?: { hint?: string } }) => {
      assert.equal(e.message, '--chown: uid 65537 is not mapped in your user namespace (mapped uids: 0, 1-65536; rootless)');
      assert.match(e.details?.hint ?? '', /give u a larger range in \/etc\/subuid/);
      return true;
    });
    assert.throws(() => checkChownMapped({ uid: 5, gid: 1001 }, uids, gids, 'u'), /^MobyDickError: --chown: gid 1001 is not mapped .*mapped gids: 0, 1-1000/);
  });
});
