/**
 * Test images written blob by blob: layers are tars made by GNU tar from
 * directories (busybox-static for the base), compressed with gzip (zlib),
 * zstd (the zstd binary) or not at all, then a config, a manifest and an OCI
 * image layout that skopeo can copy into a registry.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TEST_PREFIX } from './rootfs.js';

export type TestCompression = 'gzip' | 'zstd' | 'none';

export interface Blob {
  digest: string;
  bytes: Buffer;
  mediaType: string;
}

export interface TestImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  diffIds: string[];
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A reproducible tar of DIR (sorted, owned by root, fixed mtime). */
export function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['-C', dir, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1700000000', '-cf', '-', '.'], {
    maxBuffer: 256 << 20,
  });
}

export function compress(tar: Buffer, how: TestCompression): Buffer {
  if (how === 'gzip') return gzipSync(tar);
  if (how === 'zstd') return execFileSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 256 << 20 });
  return tar;
}

const LAYER_TYPES: Record<TestCompression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** A directory holding FILES (path -> content), for a small extra layer. */
export function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}layer-`));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export function makeImage(
  layerDirs: readonly string[],
  opts: { compression?: TestCompression; cmd?: string[]; architecture?: string; config?: Record<string, unknown> } = {},
): TestImage {
  const how = opts.compression ?? 'gzip';
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (const dir of layerDirs) {
    const tar = tarOf(dir);
    diffIds.push(sha256(tar));
    const bytes = compress(tar, how);
    layers.push({ digest: sha256(bytes), bytes, mediaType: LAYER_TYPES[how] });
  }
  return imageOf(layers, diffIds, opts);
}

/** The config and manifest of an image of LAYERS (blobs whose tars have DIFF_IDS). */
export function imageOf(layers: Blob[], diffIds: string[], opts: { cmd?: string[]; architecture?: string; config?: Record<string, unknown> } = {}): TestImage {
  const configBytes = Buffer.from(
    JSON.stringify({
      created: '2024-01-02T03:04:05Z',
      architecture: opts.architecture ?? 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: opts.cmd ?? ['/bin/sh'], ...opts.config },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layers.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'mdk-test' })),
    }),
  );
  const config: Blob = { digest: sha256(configBytes), bytes: configBytes, mediaType: 'application/vnd.oci.image.config.v1+json' };
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
    }),
  );
  return {
    manifest: { digest: sha256(manifestBytes), bytes: manifestBytes, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    config,
    layers,
    diffIds,
  };
}

/**
 * A decompression bomb: a layer whose tar holds one file, mdk-test-zeros,
 * of SIZE zero bytes, compressed with HOW (a 256 MiB one is about 20 KiB of
 * zstd, 250 KiB of gzip). Made by streaming (a sparse file, GNU tar, the
 * compressor), never SIZE bytes in memory.
 */
export function bombImage(how: 'gzip' | 'zstd', size: number): TestImage {
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}bomb-`));
  try {
    mkdirSync(join(dir, 'root'));
    execFileSync('truncate', ['-s', String(size), join(dir, 'root', 'mdk-test-zeros')]);
    const tar = `tar -C ${dir}/root --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 -cf - .`;
    const diffId = `sha256:${execFileSync('sh', ['-c', `${tar} | sha256sum`], { encoding: 'utf8' }).split(' ')[0]}`;
    const bytes = execFileSync('sh', ['-c', `${tar} | ${how === 'gzip' ? 'gzip -c -9' : 'zstd -q -c -19'}`], { maxBuffer: 64 << 20 });
    return imageOf([{ digest: sha256(bytes), bytes, mediaType: LAYER_TYPES[how] }], [diffId]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An index over IMAGES with their platforms, as a multi-arch tag serves it. */
export function makeIndex(entries: { image: TestImage; architecture: string; variant?: string }[]): Blob {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: entries.map((e) => ({
        mediaType: e.image.manifest.mediaType,
        digest: e.image.manifest.digest,
        size: e.image.manifest.bytes.length,
        platform: { os: 'linux', architecture: e.architecture, ...(e.variant ? { variant: e.variant } : {}) },
      })),
    }),
  );
  return { digest: sha256(bytes), bytes, mediaType: 'application/vnd.oci.image.index.v1+json' };
}

/** Writes IMAGE as an OCI image layout in a new temp dir, tagged TAG. */
export function writeLayout(image: TestImage, tag = 'latest'): string {
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}oci-`));
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  for (const b of [image.manifest, image.config, ...image.layers]) writeFileSync(join(blobs, b.digest.slice(7)), b.bytes);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.bytes.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return dir;
}
