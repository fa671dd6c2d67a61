import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerRecord } from './container-table.js';
import { parseVolumesFrom, volumesFrom } from './container-mounts.js';

test('--volumes-from CONTAINER[:ro|rw]', () => {
  assert.deepEqual(parseVolumesFrom('data'), { ref: 'data' });
  assert.deepEqual(parseVolumesFrom('data:ro'), { ref: 'data', readOnly: true });
  assert.deepEqual(parseVolumesFrom('data:rw'), { ref: 'data', readOnly: false });
  assert.throws(() => parseVolumesFrom('data:rx'), /invalid mode for volumes-from: rx/);
});

test('--volumes-from: the other container\'s binds and volumes at their destinations; ro when asked; its own mounts win', () => {
  const vol = 'a'.repeat(64);
  const from = {
    engine: {
      binds: [
        { source: '/srv/logs', destination: '/logs', readOnly: false },
        { source: `/store/volumes/${vol}/_data`, destination: '/data', readOnly: false },
        { source: '/srv/conf', destination: '/conf', readOnly: true },
      ],
      filesystems: [{ destination: '/nfs', type: 'nfs', source: ':/x', options: ['addr=1.2.3.4'] }],
    },
    volumes: { [vol]: '/data' },
  } as unknown as ContainerRecord;
  const out = { binds: [{ source: '/mine', destination: '/conf', readOnly: false }], filesystems: [], volumes: {} as Record<string, string> };
  volumesFrom({ find: (ref) => (ref === 'data' ? from : assert.fail(ref)) }, ['data:ro'], out);
  assert.deepEqual(out.binds.map((b) => [b.destination, b.source, b.readOnly]), [['/conf', '/mine', false], ['/logs', '/srv/logs', true], ['/data', `/store/volumes/${vol}/_data`, true]]);
  assert.deepEqual(out.filesystems, [{ destination: '/nfs', type: 'nfs', source: ':/x', options: ['addr=1.2.3.4', 'ro'] }]);
  assert.deepEqual(out.volumes, { [vol]: '/data' });
});
