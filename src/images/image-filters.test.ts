import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { createdSeconds, imageFilter, referenceMatches } from './image-filters.js';
import type { ImageRecord } from './store/image-store.js';

const image = (id: string, created: string, tags: string[]): ImageRecord => ({
  id: `sha256:${id.repeat(64)}`, created, os: 'linux', architecture: 'amd64', variant: undefined, size: 1, manifestDigest: undefined, manifestMediaType: undefined, addedAt: 0, tags, repoDigests: [], layers: [],
});
const old = image('a', '2024-01-01T00:00:00Z', ['docker.io/library/busybox:latest']);
const mid = image('b', '2024-02-01T00:00:00Z', ['127.0.0.1:5000/mdk-test/app:v1', 'docker.io/library/app:v2']);
const dangling = image('c', '2024-03-01T00:00:00Z', []);
const all = [old, mid, dangling];
const labels: Record<string, Record<string, string>> = { [mid.id]: { tier: 'web' } };
const createdOf = (ref: string): number => {
  const found = all.find((i) => i.tags.some((t) => t.endsWith(`/${ref}`) || t.endsWith(`/${ref}:latest`)));
  if (!found) throw new MobyDickError('IMAGE', `No such image: ${ref}`);
  return createdSeconds(found.created);
};
const pick = (f: Record<string, string[]>): string[] => {
  const filter = imageFilter(new Map(Object.entries(f)), (i) => labels[i.id] ?? {}, createdOf);
  return all.filter((i) => filter.image(i)).map((i) => i.id[7]!);
};

test('image filters: dangling, label, before and since by creation', () => {
  assert.deepEqual(pick({}), ['a', 'b', 'c']);
  assert.deepEqual(pick({ dangling: ['true'] }), ['c']);
  assert.deepEqual(pick({ dangling: ['false'] }), ['a', 'b']);
  assert.deepEqual(pick({ label: ['tier'] }), ['b']);
  assert.deepEqual(pick({ label: ['tier=web'] }), ['b']);
  assert.deepEqual(pick({ label: ['tier=db'] }), []);
  assert.deepEqual(pick({ before: ['app:v2'] }), ['a']);
  assert.deepEqual(pick({ since: ['busybox'] }), ['b', 'c']);
  assert.throws(() => pick({ since: ['nope'] }), /No such image: nope/);
});

test("reference filters: Docker's glob on the familiar name, whole or without its tag; * stops at /", () => {
  const f = imageFilter(new Map([['reference', ['busy*', '*/mdk-test/*:v?']]]), () => ({}), createdOf);
  assert.ok(f.byReference);
  assert.ok(f.name('docker.io/library/busybox:latest'));
  assert.ok(f.name('127.0.0.1:5000/mdk-test/app:v1'));
  assert.ok(!f.name('docker.io/library/app:v2'));
  assert.ok(referenceMatches('app', 'app:v2') && referenceMatches('app:v*', 'app:v2') && !referenceMatches('ap', 'app:v2'));
  assert.ok(!referenceMatches('*', '127.0.0.1:5000/mdk-test/app:v1'));
  const none = imageFilter(new Map(), () => ({}), createdOf);
  assert.ok(!none.byReference && none.name('anything'));
});
