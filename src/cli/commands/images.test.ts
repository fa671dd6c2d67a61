import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageFilter } from '../../images/image-filters.js';
import type { ImageRecord } from '../../images/store/image-store.js';
import { imageRows } from './images.js';

const image = (id: string, created: string, tags: string[]): ImageRecord => ({
  id: `sha256:${id.repeat(64)}`, created, os: 'linux', architecture: 'amd64', variant: undefined, size: 1, manifestDigest: undefined, manifestMediaType: undefined, addedAt: 0, tags, repoDigests: [], layers: [],
});
const busybox = image('a', '2024-01-01T00:00:00Z', ['docker.io/library/busybox:latest', 'docker.io/mdk-test/app:v1']);
const dangling = image('b', '2024-02-01T00:00:00Z', []);
const rows = (f: Record<string, string[]>): string[] =>
  imageRows([busybox, dangling], undefined, imageFilter(new Map(Object.entries(f)), () => ({}), () => 0)).map((r) => `${r.repository}:${r.tag}`);

test('images --filter: reference keeps the rows (tags) that match, dangling the images without a tag', () => {
  assert.deepEqual(rows({}), ['<none>:<none>', 'busybox:latest', 'mdk-test/app:v1']);
  assert.deepEqual(rows({ reference: ['busybox'] }), ['busybox:latest']);
  assert.deepEqual(rows({ reference: ['mdk-test/*'] }), ['mdk-test/app:v1']);
  assert.deepEqual(rows({ reference: ['*'] }), ['busybox:latest'], '* does not cross a /');
  assert.deepEqual(rows({ dangling: ['true'] }), ['<none>:<none>']);
  assert.deepEqual(rows({ dangling: ['false'] }), ['busybox:latest', 'mdk-test/app:v1']);
});
