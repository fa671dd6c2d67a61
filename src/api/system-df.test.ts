import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageRecord } from '../images/store/image-store.js';
import { dfVolume, layersSize, sharedSize } from './system-df.js';

const image = (id: string, layers: string[]): ImageRecord => ({
  id, created: undefined, os: 'linux', architecture: 'amd64', variant: undefined, size: 0, manifestDigest: undefined, manifestMediaType: undefined, addedAt: 0, tags: [], repoDigests: [], layers,
});

test('/system/df: each layer counted once in LayersSize; SharedSize is what other images use too', () => {
  const sizes: Record<string, number> = { a: 10, b: 20, c: 40 };
  const images = [image('1', ['a', 'b']), image('2', ['a', 'c']), image('3', [])];
  const size = (c: string): number => sizes[c]!;
  assert.equal(layersSize(images, size), 70);
  assert.equal(sharedSize(images[0]!, images, size), 10);
  assert.equal(sharedSize(images[1]!, images, size), 10);
  assert.equal(sharedSize(images[2]!, images, size), 0);
});

test("/system/df: a volume's row has its size and users as UsageData", () => {
  const v = dfVolume({ name: 'mdk-test-v', mountpoint: '/x/_data', createdAt: '2024-01-02T03:04:05.678Z', labels: { a: 'b' }, anonymous: false, options: {} }, 3, 2);
  assert.deepEqual(v, { CreatedAt: '2024-01-02T03:04:05Z', Driver: 'local', Labels: { a: 'b' }, Mountpoint: '/x/_data', Name: 'mdk-test-v', Options: null, Scope: 'local', UsageData: { Size: 3, RefCount: 2 } });
});
