import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Volume } from '../engine/volumes.js';
import { ApiError } from './errors.js';
import { filtersOf } from './filter-match.js';
import { filterVolumes, VOLUME_LIST_FILTERS, volumeCreateOf } from './volumes.js';

const vol = (name: string, labels: Record<string, string> = {}): Volume => ({ name, mountpoint: `/v/${name}/_data`, createdAt: '2024-01-01T00:00:00.000Z', labels, anonymous: false, options: {} });

test('GET /volumes: dangling, name (substring), driver local, label', () => {
  const vs = [vol('mdk-test-a', { k: 'v' }), vol('mdk-test-b'), vol('other')];
  const names = (filters: unknown): string[] =>
    filterVolumes(vs, filtersOf(new URLSearchParams({ filters: JSON.stringify(filters) }), VOLUME_LIST_FILTERS), (n) => n === 'mdk-test-a').map((v) => v.name);
  assert.deepEqual(names({}), ['mdk-test-a', 'mdk-test-b', 'other']);
  assert.deepEqual(names({ dangling: ['true'] }), ['mdk-test-b', 'other']);
  assert.deepEqual(names({ dangling: ['false'] }), ['mdk-test-a']);
  assert.deepEqual(names({ name: ['mdk-test'] }), ['mdk-test-a', 'mdk-test-b']);
  assert.deepEqual(names({ label: ['k=v'] }), ['mdk-test-a']);
  assert.deepEqual(names({ driver: ['local'] }).length, 3);
  assert.deepEqual(names({ driver: ['nfs'] }), []);
  assert.throws(() => names({ scope: ['local'] }), ApiError);
});

test('POST /volumes/create: Name (none: anonymous), Labels, DriverOpts as -o KEY=VALUE; another driver is a 404', () => {
  assert.deepEqual(volumeCreateOf({ Name: 'mdk-test-v', Driver: 'local', Labels: { a: 'b' }, DriverOpts: { type: 'tmpfs', device: 'tmpfs' } }), { name: 'mdk-test-v', labels: { a: 'b' }, opts: ['type=tmpfs', 'device=tmpfs'] });
  assert.deepEqual(volumeCreateOf(undefined), { name: undefined, labels: {}, opts: [] });
  assert.deepEqual(volumeCreateOf({ Name: '' }), { name: undefined, labels: {}, opts: [] });
  assert.throws(() => volumeCreateOf({ Driver: 'nfs' }), (e: unknown) => e instanceof ApiError && e.status === 404);
  assert.throws(() => volumeCreateOf({ Labels: { a: 1 } }), (e: unknown) => e instanceof ApiError && e.status === 400);
  assert.throws(() => volumeCreateOf([]), (e: unknown) => e instanceof ApiError && e.status === 400);
});
