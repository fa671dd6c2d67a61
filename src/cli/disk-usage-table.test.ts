import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DiskUsage } from '../engine/disk-usage.js';
import type { ContainerView } from '../engine/engine.js';
import type { Volume } from '../engine/volumes.js';
import type { ImageRecord } from '../images/store/image-store.js';
import { dfContainerRows, dfImageRows, dfSummary, dfVolumeRows } from './disk-usage-table.js';

const image = (id: string, size: number, tags: string[]): ImageRecord => ({
  id: `sha256:${id.repeat(64)}`, created: '2026-01-01T00:00:00Z', os: 'linux', architecture: 'amd64', variant: undefined, size, manifestDigest: undefined, manifestMediaType: undefined, addedAt: 0, tags, repoDigests: [], layers: [],
});
const container = (name: string, status: string, argv: string[]): ContainerView =>
  ({ record: { id: `${name}`.padEnd(64, '0'), name, image: 'busybox', created: '2026-01-01T00:00:00Z', volumes: { v1: '/data' }, engine: { argv }, state: {} }, state: { Status: status, Running: status === 'running', Paused: false, ExitCode: 0 } }) as unknown as ContainerView;
const volume = (name: string): Volume => ({ name, mountpoint: `/x/${name}/_data`, createdAt: '2026-01-01T00:00:00Z', labels: {}, anonymous: false, options: {} });

const usage: DiskUsage = {
  layersSize: 10_000_000,
  images: [
    { image: image('a', 6_000_000, ['docker.io/library/busybox:latest']), containers: 2, sharedSize: 1_000_000 },
    { image: image('b', 5_000_000, []), containers: 0, sharedSize: 1_000_000 },
  ],
  containers: [
    { view: container('web', 'running', ['sleep', '100']), sizeRw: 100, sizeRootFs: 6_000_100 },
    { view: container('old', 'exited', ['sh', '-c', 'echo a long command line here']), sizeRw: 300, sizeRootFs: 6_000_300 },
  ],
  volumes: [
    { volume: volume('used'), size: 2000, refCount: 1 },
    { volume: volume('idle'), size: 6000, refCount: 0 },
  ],
};

test("system df's summary as the docker CLI computes it: active counts, layers once, reclaimable with its share", () => {
  assert.deepEqual(dfSummary(usage).map((r) => [r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable]), [
    // the used image's own bytes (6MB less 1MB shared) are not reclaimable
    ['Images', '2', '1', '10MB', '5MB (50%)'],
    ['Containers', '2', '1', '400B', '300B (75%)'],
    ['Local Volumes', '2', '1', '8kB', '6kB (75%)'],
    ['Build Cache', '0', '0', '0B', '0B'],
  ]);
});

test('system df with nothing: no percentages', () => {
  const rows = dfSummary({ layersSize: 0, images: [], containers: [], volumes: [] });
  assert.deepEqual(rows.map((r) => r.Reclaimable), ['0B', '0B', '0B', '0B']);
  assert.deepEqual(rows.map((r) => r.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
});

test('system df -v: a row per tag (<none> without), unique size, container commands cut as ps does, volume links', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  const images = dfImageRows(usage, now);
  assert.deepEqual(images[0], ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS']);
  assert.deepEqual(images[1], ['busybox', 'latest', 'aaaaaaaaaaaa', '10 seconds ago', '6MB', '1MB', '5MB', '2']);
  assert.deepEqual(images[2]!.slice(0, 2), ['<none>', '<none>']);
  const containers = dfContainerRows(usage, now);
  assert.deepEqual(containers[1]!.slice(0, 5), ['web000000000', 'busybox', '"sleep 100"', '1', '100B']);
  assert.equal(containers[2]![2], '"sh -c echo a long c…"');
  assert.deepEqual(dfVolumeRows(usage), [['VOLUME NAME', 'LINKS', 'SIZE'], ['used', '1', '2kB'], ['idle', '0', '6kB']]);
});
