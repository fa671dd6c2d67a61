import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapHelperArgs, mapText, needsMapHelper, parseSubIds, rootlessMappings } from './id-maps.js';

describe('rootless id maps', () => {
  const subuid = 'alice:100000:65536\n# a comment\nbob:165536:65536\n1001:231072:1000\nalice:300000:10\ncarol:bad:1\ndave:1:0\n';

  test('a user\'s ranges by name or by uid, in file order; malformed and empty ones skipped', () => {
    assert.deepEqual(parseSubIds(subuid, 'alice', 1000), [{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]);
    assert.deepEqual(parseSubIds(subuid, 'eve', 1001), [{ start: 231072, count: 1000 }]);
    assert.deepEqual(parseSubIds(subuid, 'carol', 1002), []);
    assert.deepEqual(parseSubIds(subuid, 'dave', 1003), []);
    assert.deepEqual(parseSubIds('', 'alice', 1000), []);
  });

  test('the user is root inside, the ranges follow from 1 one after another', () => {
    assert.deepEqual(rootlessMappings(1000, [{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]), [
      { containerID: 0, hostID: 1000, size: 1 },
      { containerID: 1, hostID: 100000, size: 65536 },
      { containerID: 65537, hostID: 300000, size: 10 },
    ]);
    assert.deepEqual(rootlessMappings(1000, []), [{ containerID: 0, hostID: 1000, size: 1 }]);
  });

  test('only the user alone is written without newuidmap', () => {
    assert.equal(needsMapHelper([{ containerID: 0, hostID: 1000, size: 1 }], 1000), false);
    assert.equal(needsMapHelper([{ containerID: 0, hostID: 1001, size: 1 }], 1000), true);
    assert.equal(needsMapHelper([{ containerID: 0, hostID: 1000, size: 2 }], 1000), true);
    assert.equal(needsMapHelper(rootlessMappings(1000, [{ start: 100000, count: 65536 }]), 1000), true);
  });

  test('newuidmap\'s arguments and the map file\'s text', () => {
    const maps = rootlessMappings(1000, [{ start: 100000, count: 65536 }]);
    assert.deepEqual(mapHelperArgs(maps), ['0', '1000', '1', '1', '100000', '65536']);
    assert.equal(mapText(maps), '0 1000 1\n1 100000 65536\n');
  });
});
