import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyEntries } from './inspect.js';
import type { ImageRecord } from './store/image-store.js';

const image: ImageRecord = {
  id: `sha256:${'a'.repeat(64)}`,
  created: '2024-01-02T00:00:00Z',
  os: 'linux',
  architecture: 'amd64',
  variant: undefined,
  size: 30,
  manifestDigest: undefined,
  manifestMediaType: undefined,
  addedAt: 0,
  tags: ['docker.io/library/busybox:latest'],
  repoDigests: [],
  layers: ['c1', 'c2'],
};

test("history: newest first, each step with its layer's size (none for an empty layer), the image's ID and tags on the newest", () => {
  const config = {
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs /' },
      { created: '2024-01-01T00:00:01Z', created_by: 'ENV A=b', empty_layer: true },
      { created: '2024-01-01T00:00:02Z', created_by: 'RUN touch x', comment: 'c' },
    ],
  };
  assert.deepEqual(historyEntries(image, config, [10, 20]), [
    { id: image.id, created: 1704067202, createdBy: 'RUN touch x', comment: 'c', tags: ['busybox:latest'], size: 20 },
    { id: undefined, created: 1704067201, createdBy: 'ENV A=b', comment: '', tags: [], size: 0 },
    { id: undefined, created: 1704067200, createdBy: 'ADD rootfs /', comment: '', tags: [], size: 10 },
  ]);
});

test('history without a history in the config: one entry per layer, at the image\'s creation', () => {
  const h = historyEntries(image, {}, [10, 20]);
  assert.deepEqual(h.map((e) => [e.id, e.size, e.created]), [[image.id, 20, 1704153600], [undefined, 10, 1704153600]]);
});
