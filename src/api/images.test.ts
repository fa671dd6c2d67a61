import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageRecord } from '../images/store/image-store.js';
import { ApiError, statusOf } from './errors.js';
import { filtersOf } from './filter-match.js';
import { IMAGE_LIST_FILTERS, imageSummary, listImages, pullName, referenceMatches, untilSeconds } from './images.js';

const image = (id: string, created: string, tags: string[], repoDigests: string[] = []): ImageRecord => ({
  id: `sha256:${id.repeat(64).slice(0, 64)}`,
  created,
  os: 'linux',
  architecture: 'amd64',
  variant: undefined,
  size: 1000,
  manifestDigest: undefined,
  manifestMediaType: undefined,
  addedAt: 0,
  tags,
  repoDigests,
  layers: [],
});

const DIGEST = `sha256:${'d'.repeat(64)}`;
const busybox = image('a', '2024-01-01T00:00:00Z', ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1'], [`docker.io/library/busybox@${DIGEST}`]);
const local = image('b', '2024-02-01T00:00:00Z', ['127.0.0.1:5000/mdk-test/app:v1']);
const dangling = image('c', '2024-03-01T00:00:00Z', []);
const images = [busybox, local, dangling];
const labels: Record<string, Record<string, string>> = { [local.id]: { tier: 'web', team: 'x' } };
const labelsOf = (i: ImageRecord): Record<string, string> => labels[i.id] ?? {};
const createdOf = (ref: string): number => Date.parse(images.find((i) => i.tags.some((t) => t.endsWith(ref)))!.created!) / 1000;
const q = (filters: unknown) => filtersOf(new URLSearchParams({ filters: JSON.stringify(filters) }), IMAGE_LIST_FILTERS);
const ids = (filters: unknown): string[] => listImages(images, q(filters), labelsOf, createdOf).map((s) => s.Id[7]!);

test("an image's row: familiar names, Created in seconds, Docker's -1 for what is not counted", () => {
  assert.deepEqual(imageSummary(busybox, { a: 'b' }), {
    Id: busybox.id,
    ParentId: '',
    RepoTags: ['busybox:latest', 'busybox:1'],
    RepoDigests: [`busybox@${DIGEST}`],
    Created: 1704067200,
    Size: 1000,
    SharedSize: -1,
    VirtualSize: 1000,
    Labels: { a: 'b' },
    Containers: -1,
  });
  assert.deepEqual(imageSummary(dangling, {}).RepoTags, []);
});

test('GET /images/json: newest first; dangling, label, before and since', () => {
  assert.deepEqual(ids({}), ['c', 'b', 'a']);
  assert.deepEqual(ids({ dangling: ['true'] }), ['c']);
  assert.deepEqual(ids({ dangling: { false: true } }), ['b', 'a']);
  assert.deepEqual(ids({ label: ['tier=web'] }), ['b']);
  assert.deepEqual(ids({ label: ['tier=web', 'team=y'] }), []);
  assert.deepEqual(ids({ before: ['mdk-test/app:v1'] }), ['a']);
  assert.deepEqual(ids({ since: ['busybox:1'] }), ['c', 'b']);
  assert.throws(() => ids({ until: ['1h'] }), ApiError);
});

test('GET /images/json: reference matches the name or name:tag as a glob, and keeps only the matching tags', () => {
  const rows = listImages(images, q({ reference: ['busybox:1'] }), labelsOf, createdOf);
  assert.deepEqual(rows.map((r) => [r.RepoTags, r.RepoDigests]), [[['busybox:1'], []]]);
  assert.deepEqual(ids({ reference: ['busybox'] }), ['a']);
  assert.deepEqual(ids({ reference: ['*/mdk-test/*'] }), ['b']);
  assert.deepEqual(ids({ reference: ['nothing', 'busybox:*'] }), ['a']);
  assert.ok(referenceMatches('busybox', 'docker.io/library/busybox:latest'));
  assert.ok(!referenceMatches('busy', 'docker.io/library/busybox:latest'));
});

test("POST /images/create's name: fromImage, with the tag or digest of `tag`", () => {
  assert.equal(pullName('busybox', 'latest'), 'docker.io/library/busybox:latest');
  assert.equal(pullName('127.0.0.1:5000/mdk-test/x', '1.2'), '127.0.0.1:5000/mdk-test/x:1.2');
  assert.equal(pullName('busybox', DIGEST), `docker.io/library/busybox@${DIGEST}`);
  assert.equal(pullName('busybox:1', ''), 'busybox:1');
  assert.throws(() => pullName('busybox', 'bad tag!'));
});

test('until: a Unix time, an RFC 3339 date, or a Go duration before now', () => {
  const now = Date.parse('2024-05-01T00:00:00Z');
  assert.equal(untilSeconds('1700000000', now), 1700000000);
  assert.equal(untilSeconds('2024-04-30T00:00:00Z', now), now / 1000 - 86400);
  assert.equal(untilSeconds('24h', now), now / 1000 - 86400);
  assert.equal(untilSeconds('1h30m', now), now / 1000 - 5400);
  assert.throws(() => untilSeconds('soon', now), (e: unknown) => statusOf(e) === 400);
});
