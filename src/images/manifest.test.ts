import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { layerCompression, ManifestError, MediaType, parseImageConfig, parseManifest } from './manifest.js';
import { hostPlatform, normalizePlatform, parsePlatform, platformMatches, selectManifest } from './platform.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const desc = (c: string, mediaType: string = MediaType.OciLayerGzip) => ({ mediaType, digest: d(c), size: 10 });
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc('c', MediaType.OciConfig), layers: [desc('1'), desc('2')] };
const entry = (c: string, architecture: string, variant?: string, os = 'linux') => ({
  ...desc(c, MediaType.OciManifest),
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});

describe('manifests', () => {
  test('OCI and Docker manifests, by their field or the header', () => {
    const oci = parseManifest(json(manifest), undefined);
    assert.equal(oci.kind, 'manifest');
    assert.equal(oci.mediaType, MediaType.OciManifest);
    const docker = parseManifest(json({ ...manifest, mediaType: undefined }), `${MediaType.DockerManifest}; charset=utf-8`);
    assert.equal(docker.mediaType, MediaType.DockerManifest);
    const list = parseManifest(json({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [entry('a', 'amd64')] }), undefined);
    assert.equal(list.kind, 'index');
    const bare = parseManifest(json({ schemaVersion: 2, manifests: [] }), 'application/json');
    assert.equal(bare.kind, 'index', 'an index without a media type is known by its manifests');
  });

  test('malformed, schema 1 and unknown manifests are refused with the reason', () => {
    assert.throws(() => parseManifest(Buffer.from('{not json'), undefined), (e: unknown) => e instanceof ManifestError && /not JSON/.test(e.message));
    assert.throws(() => parseManifest(json([1]), undefined), /not a JSON object/);
    assert.throws(() => parseManifest(json({ ...manifest, layers: [{ digest: 'sha256:zz', size: 1, mediaType: 'x' }] }), undefined), /malformed manifest: layers\.0\.digest/);
    assert.throws(() => parseManifest(json({ ...manifest, config: undefined }), undefined), /malformed manifest: config/);
    assert.throws(() => parseManifest(json({ schemaVersion: 1, name: 'x', fsLayers: [] }), undefined), /schema 1/);
    assert.throws(() => parseManifest(json({ ...manifest, mediaType: 'application/vnd.example+json' }), undefined), /unsupported manifest media type/);
  });

  test('image configs', () => {
    const c = parseImageConfig(json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [d('1')] }, config: { Cmd: ['sh'], Env: null } }));
    assert.deepEqual(c.rootfs.diff_ids, [d('1')]);
    assert.throws(() => parseImageConfig(json({ architecture: 'amd64', os: 'linux' })), /malformed image config: rootfs/);
  });

  test('layer compression from the media type', () => {
    assert.equal(layerCompression(MediaType.DockerLayerGzip), 'gzip');
    assert.equal(layerCompression(MediaType.OciLayerZstd), 'zstd');
    assert.equal(layerCompression(MediaType.OciLayer), 'none');
    assert.equal(layerCompression('application/vnd.example.layer'), undefined);
  });
});

describe('platforms', () => {
  test('parsing and normalising', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    assert.deepEqual(parsePlatform('Linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.throws(() => parsePlatform('linux/'), /invalid platform "linux\/"/);
    assert.throws(() => parsePlatform('a/b/c/d'), /invalid platform/);
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64' }), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.equal(hostPlatform().os, 'linux');
  });

  test('matching', () => {
    assert.equal(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }), true);
    assert.equal(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }), false);
    assert.equal(platformMatches({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' }), false);
  });

  test('selecting a manifest from an index', () => {
    const index = {
      schemaVersion: 2 as const,
      manifests: [
        entry('1', 'arm', 'v6'),
        entry('2', 'arm', 'v7'),
        entry('3', 'arm64', 'v8'),
        entry('4', 'amd64'),
        { ...entry('5', 'unknown', undefined, 'unknown'), annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
        entry('6', 's390x'),
      ],
    };
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'amd64' })?.digest, d('4'));
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm' })?.digest, d('2'), 'arm means arm/v7');
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm', variant: 'v6' })?.digest, d('1'));
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm64' })?.digest, d('3'));
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'riscv64' }), undefined);
    assert.equal(selectManifest({ schemaVersion: 2, manifests: [{ ...desc('7', MediaType.OciManifest) }] }, { os: 'linux', architecture: 'amd64' }), undefined, 'no platform, no match');
  });
});
