import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { commitImage } from './commit.js';
import { sha256 } from './digest.js';
import { ImageStore } from './store/image-store.js';
import type { LayerUnpacker } from './store/layer-unpacker.js';

describe('commitImage', () => {
  let root: string;
  let store: ImageStore;
  let unpacked = 0;
  // GNU tar as the stand-in unpacker, counted: a layer taken from a directory is never unpacked
  const unpacker: LayerUnpacker = async (tar, dest) => {
    unpacked++;
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    mkdirSync(dest, { recursive: true });
    const r = spawnSync('tar', ['-x', '--no-same-owner', '-C', dest], { input: Buffer.concat(chunks) });
    assert.equal(r.status, 0, r.stderr.toString());
  };
  const config = { architecture: 'amd64', os: 'linux' };

  before(() => {
    root = mkdtempSync('/tmp/mdk-test-commit-');
    store = new ImageStore({ root: join(root, 'store'), unpacker });
  });
  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** a directory with one file, and its tar (GNU tar) in a file */
  const layer = (name: string, content: string): { dir: string; tar: string; bytes: Buffer } => {
    const dir = mkdtempSync(join(root, 'dir-'));
    writeFileSync(join(dir, name), content);
    const bytes = spawnSync('tar', ['-C', dir, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', name]).stdout;
    const tar = join(root, `${name}.tar`);
    writeFileSync(tar, bytes);
    return { dir, tar, bytes };
  };

  test('a layer given as a directory is moved into the store, not unpacked; its blob is the tar gzipped', async () => {
    const l = layer('a.txt', 'moved\n');
    const ino = statSync(join(l.dir, 'a.txt')).ino;
    const before = unpacked;
    const res = await commitImage(store, { parent: undefined, config, layerTar: l.tar, layerDir: l.dir });
    assert.equal(unpacked, before);
    assert.equal(res.diffId, sha256(l.bytes));
    assert.equal(existsSync(l.dir), false);
    const [diff] = store.layerPaths(res.id);
    assert.equal(statSync(join(diff!, 'a.txt')).ino, ino);
    assert.equal(readFileSync(join(diff!, 'a.txt'), 'utf8'), 'moved\n');
    const blob = store.blobForDiff(res.diffId!)!;
    assert.deepEqual(gunzipSync(store.blobs.read(blob.digest)), l.bytes);
    assert.equal(store.layer(store.image(res.id)!.layers[0]!)?.size, 6);
  });

  test('without a directory, or when the store has the layer already, the tar is unpacked or the layer shared', async () => {
    const l = layer('b.txt', 'unpacked\n');
    const before = unpacked;
    const first = await commitImage(store, { parent: undefined, config, layerTar: l.tar });
    assert.equal(unpacked, before + 1);
    const again = await commitImage(store, { parent: undefined, config: { ...config, author: 'x' }, layerTar: l.tar, layerDir: l.dir });
    assert.equal(unpacked, before + 1);
    assert.equal(existsSync(l.dir), true, 'left to the caller');
    assert.deepEqual(store.image(again.id)!.layers, store.image(first.id)!.layers);
  });
});
