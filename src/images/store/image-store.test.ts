import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { chainIds, sha256 } from '../digest.js';
import type { LayerUnpacker } from './layer-unpacker.js';
import { pruneImages, removeImage } from '../remove.js';
import { BlobVerifyError } from './blobs.js';
import { ImageStore, type NewImage } from './image-store.js';

/** A one-file tar made by GNU tar, and its gzip. */
function layer(name: string, content: string): { tar: Buffer; gz: Buffer } {
  const dir = mkdtempSync('/tmp/mdk-test-layersrc-');
  writeFileSync(join(dir, name), content);
  const r = spawnSync('tar', ['-C', dir, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', name]);
  rmSync(dir, { recursive: true, force: true });
  return { tar: r.stdout, gz: gzipSync(r.stdout) };
}

/**
 * The store's stand-in for the layer unpacker (the real one, unpack/, is
 * tested there): GNU tar extracts the plain tar as the user running the
 * test, so the store's tests need no root.
 */
async function gnuTarExtract(tar: AsyncIterable<Buffer> | Iterable<Buffer>, dest: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c);
  mkdirSync(dest, { recursive: true });
  const r = spawnSync('tar', ['-x', '--no-same-owner', '-C', dest], { input: Buffer.concat(chunks) });
  if (r.status !== 0) throw new Error(`tar -x: ${r.stderr.toString().trim()}`);
}

const standIn: LayerUnpacker = Object.assign(async (tar: Readable, dest: string) => gnuTarExtract(tar, dest), {
  fromFile: async (path: string, dest: string, opts: { observe: (chunk: Buffer) => void }) => {
    const blob = readFileSync(path);
    const plain = blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
    opts.observe(plain);
    await gnuTarExtract([plain], dest);
  },
});

const empty = (dir: string): boolean => !existsSync(dir) || readdirSync(dir).length === 0;

describe('image store', () => {
  let root: string;
  let store: ImageStore;
  let unpacked = 0;
  const counting: LayerUnpacker = async (tar, dest, opts) => {
    unpacked++;
    await standIn(tar, dest, opts);
  };
  const a = layer('a.txt', 'layer a\n');
  const b = layer('b.txt', 'layer b\n');

  before(() => {
    root = mkdtempSync('/tmp/mdk-test-store-');
    store = new ImageStore({ root, unpacker: counting });
  });
  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Puts a blob in under LEASE as a pull does. */
  async function putBlob(lease: ReturnType<ImageStore['beginLease']>, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    lease.commitBlob(digest, await store.blobs.ingest(digest, Readable.from([bytes]), { size: bytes.length }));
    return digest;
  }

  async function addImage(tag: string, layers: { tar: Buffer; gz: Buffer }[], configExtra = '', parent?: string): Promise<NewImage> {
    const lease = store.beginLease();
    const diffIds = layers.map((l) => sha256(l.tar));
    const chains = chainIds(diffIds);
    const newLayers = [];
    const blobs: string[] = [];
    for (const [i, l] of layers.entries()) {
      const digest = await putBlob(lease, l.gz);
      blobs.push(digest);
      const chainId = chains[i]!;
      const size = lease.claimLayer(chainId) ? store.layer(chainId)?.size ?? 0 : await store.unpackLayer(lease, digest, diffIds[i]!, chainId);
      newLayers.push({ chainId, diffId: diffIds[i]!, parent: chains[i - 1], size, blob: { digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: l.gz.length } });
    }
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, extra: configExtra }));
    const id = await putBlob(lease, config);
    const image: NewImage = { id, created: '2024-01-01T00:00:00Z', os: 'linux', architecture: 'amd64', variant: undefined, layers: newLayers, tags: tag ? [tag] : [], repoDigests: [], ...(parent ? { parent } : {}) };
    store.registerImage(lease, image, [...blobs, id]);
    return image;
  }

  test('a blob with the wrong digest or size is not stored, and no ingest file is left', async () => {
    const bytes = Buffer.from('mdk-test blob');
    const wrong = sha256('something else');
    await assert.rejects(store.blobs.ingest(wrong, Readable.from([bytes])), (e: unknown) => e instanceof BlobVerifyError && /digest mismatch/.test(e.message));
    await assert.rejects(store.blobs.ingest(sha256(bytes), Readable.from([bytes]), { size: bytes.length + 5 }), /truncated: got 13 of 18 bytes/);
    await assert.rejects(store.blobs.ingest(sha256(bytes), Readable.from([bytes]), { size: 4 }), /more than the 4 bytes/);
    assert.equal(store.blobs.has(wrong), false);
    assert.equal(store.blobs.has(sha256(bytes)), false);
    assert.ok(empty(store.blobs.ingestDir));
  });

  test('a killed download is taken over and continued; a wrong partial fails the digest and is removed', async () => {
    const bytes = Buffer.from('mdk-test resumable blob content');
    const digest = sha256(bytes);
    const dead = spawnSync('true').pid!;
    const left = join(store.blobs.ingestDir, `${dead}-1-abc-${digest.slice(7)}`);
    writeFileSync(left, bytes.subarray(0, 10));
    store.cleanStale();
    assert.ok(existsSync(left), 'a recent partial download survives the clean-up before a pull');
    const partial = store.blobs.adoptPartial(digest);
    assert.equal(partial?.bytes, 10);
    assert.ok(!existsSync(left), 'taken over under this process');
    assert.equal(store.blobs.adoptPartial(digest), undefined, 'by one process only');
    const path = await store.blobs.ingest(digest, Readable.from([bytes.subarray(10)]), { size: bytes.length, partial: partial! });
    assert.deepEqual(readFileSync(path), bytes);
    rmSync(path);

    writeFileSync(left, Buffer.from('0123456789'));
    const wrong = store.blobs.adoptPartial(digest)!;
    await assert.rejects(store.blobs.ingest(digest, Readable.from([bytes.subarray(10)]), { size: bytes.length, partial: wrong }), /digest mismatch/);
    assert.ok(empty(store.blobs.ingestDir));
    writeFileSync(left, Buffer.from('old'));
    store.gc();
    assert.ok(empty(store.blobs.ingestDir), 'gc removes partial downloads of dead processes');
  });

  test('images share layers; each layer is unpacked once', async () => {
    const before = unpacked;
    const one = await addImage('docker.io/library/mdk-test-one:latest', [a]);
    const two = await addImage('docker.io/library/mdk-test-two:latest', [a, b], 'two');
    assert.equal(unpacked - before, 2, 'a once, b once');
    assert.equal(one.layers[0]!.chainId, two.layers[0]!.chainId);
    assert.equal(readFileSync(join(store.layerDirs.diffPath(two.layers[1]!.chainId), 'b.txt'), 'utf8'), 'layer b\n');
    assert.equal(store.listImages().length, 2);
    assert.deepEqual(store.imageByTag('docker.io/library/mdk-test-two:latest')?.layers, two.layers.map((l) => l.chainId));
    assert.equal(store.layer(two.layers[1]!.chainId)?.size, 8);
    assert.deepEqual(store.layerPaths(two.id), two.layers.map((l) => join(root, 'layers', l.chainId.slice(7), 'diff')));
    assert.equal(store.imageConfig(two.id).extra, 'two');
    const gc = store.gc();
    assert.deepEqual(gc, { blobs: 0, layers: 0, bytes: 0 }, 'nothing is garbage');

    // removing one keeps the shared layer for the other
    const events = removeImage(store, 'mdk-test-two', false);
    assert.deepEqual(events, [{ untagged: 'mdk-test-two:latest' }, { deleted: two.id }]);
    const after = store.gc();
    assert.equal(after.layers, 1);
    assert.equal(after.blobs, 2, "b's blob and two's config");
    assert.ok(store.layerDirs.exists(one.layers[0]!.chainId));
    assert.ok(!store.layerDirs.exists(two.layers[1]!.chainId));
    assert.ok(store.blobs.has(one.id));
    removeImage(store, 'mdk-test-one', false);
    store.gc();
    assert.deepEqual(store.listImages(), []);
    assert.deepEqual(store.blobs.list(), []);
    assert.deepEqual(store.layerDirs.list(), []);
  });

  test('a diff ID mismatch leaves no layer and no temp dir', async () => {
    const lease = store.beginLease();
    const digest = await putBlob(lease, a.gz);
    await assert.rejects(store.unpackLayer(lease, digest, sha256('not it'), sha256('not it')), /diff ID mismatch/);
    assert.ok(empty(store.layerDirs.tmpDir));
    assert.deepEqual(store.layerDirs.list(), []);
    lease.abandon();
    assert.equal(store.blobs.has(digest), false, 'the abandoned lease took its blob along');
  });

  test('an unpacker that reads the blob file: plain and gzip layers install, the diff ID is checked on what it observed', async () => {
    const fileRoot = mkdtempSync('/tmp/mdk-test-store-file-');
    let streamed = 0;
    const fromFileOnly: LayerUnpacker = Object.assign(async () => void streamed++, { fromFile: standIn.fromFile! });
    const fileStore = new ImageStore({ root: fileRoot, unpacker: fromFileOnly });
    try {
      const lease = fileStore.beginLease();
      for (const [i, blob] of [a.tar, b.gz].entries()) {
        const tar = i === 0 ? a.tar : b.tar;
        const digest = sha256(blob);
        lease.commitBlob(digest, await fileStore.blobs.ingest(digest, Readable.from([blob]), { size: blob.length }));
        // a wrong diff ID: refused, nothing left
        await assert.rejects(fileStore.unpackLayer(lease, digest, sha256('not it'), sha256('not it')), /diff ID mismatch/);
        assert.ok(empty(fileStore.layerDirs.tmpDir));
        assert.ok(!fileStore.layerDirs.exists(sha256('not it')));
        const chainId = sha256(`mdk-test-chain-${i}`);
        assert.equal(await fileStore.unpackLayer(lease, digest, sha256(tar), chainId), 8);
        assert.equal(readFileSync(join(fileStore.layerDirs.diffPath(chainId), i === 0 ? 'a.txt' : 'b.txt'), 'utf8'), i === 0 ? 'layer a\n' : 'layer b\n');
      }
      lease.abandon();
      assert.equal(streamed, 0, 'the store calls fromFile where the unpacker has it');
    } finally {
      fileStore.close();
      rmSync(fileRoot, { recursive: true, force: true });
    }
  });

  test('tags, rmi by ID with several tags needs -f, prune removes dangling images', async () => {
    const img = await addImage('docker.io/library/mdk-test-x:1', [a]);
    store.tag(img.id, 'docker.io/library/mdk-test-x:2');
    assert.throws(() => removeImage(store, img.id.slice(7, 19), false), /must be forced\) - image is referenced in multiple repositories/);
    assert.deepEqual(removeImage(store, 'mdk-test-x:1', false), [{ untagged: 'mdk-test-x:1' }], 'untag only');
    store.untag('docker.io/library/mdk-test-x:2');
    const r = pruneImages(store, false);
    assert.deepEqual(r.deleted, [img.id]);
    assert.ok(r.gc.bytes > 0);
    assert.deepEqual(store.blobs.list(), []);
    assert.throws(() => removeImage(store, 'mdk-test-x:1', false), /No such image: mdk-test-x:1/);
  });

  test('parents, as Docker: a child keeps its parent; a deleted image takes its dangling parents; prune goes from the end of a chain', async () => {
    const base = await addImage('docker.io/library/mdk-test-base:1', [a], 'base');
    const mid1 = await addImage('', [a], 'mid1', base.id);
    const mid2 = await addImage('', [a], 'mid2', mid1.id);
    const top = await addImage('docker.io/library/mdk-test-top:1', [a], 'top', mid2.id);
    assert.equal(store.parentOf(top.id), mid2.id);
    assert.deepEqual(store.childrenOf(mid1.id), [mid2.id]);
    assert.throws(() => removeImage(store, mid2.id, true), /conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image has dependent child images/);
    // by its last name, an image with a child is untagged only
    store.tag(mid2.id, 'docker.io/library/mdk-test-mid:1');
    assert.deepEqual(removeImage(store, 'mdk-test-mid:1', false), [{ untagged: 'mdk-test-mid:1' }]);
    assert.ok(store.image(mid2.id));
    // the top goes, its untagged parents with it; the tagged base stays
    assert.deepEqual(removeImage(store, 'mdk-test-top:1', false), [{ untagged: 'mdk-test-top:1' }, { deleted: top.id }, { deleted: mid2.id }, { deleted: mid1.id }]);
    assert.ok(store.image(base.id));
    // a parent with another child stays
    const shared = await addImage('', [a], 'shared', base.id);
    const c1 = await addImage('docker.io/library/mdk-test-c:1', [a], 'c1', shared.id);
    const c2 = await addImage('docker.io/library/mdk-test-c:2', [a], 'c2', shared.id);
    assert.deepEqual(removeImage(store, 'mdk-test-c:1', false), [{ untagged: 'mdk-test-c:1' }, { deleted: c1.id }]);
    // without prune (rmi --no-prune) the parent stays; image prune takes it once it is a head
    assert.deepEqual(removeImage(store, 'mdk-test-c:2', false, false), [{ untagged: 'mdk-test-c:2' }, { deleted: c2.id }]);
    assert.ok(store.image(shared.id));
    const m = await addImage('', [a], 'm', base.id);
    await addImage('', [a], 'leaf', m.id);
    const r = pruneImages(store, false);
    assert.equal(r.deleted.length, 3, 'shared, then the leaf and m');
    assert.ok(r.deleted.indexOf(m.id) > 0, 'the leaf before its parent');
    assert.ok(store.image(base.id), 'tagged: not pruned');
    removeImage(store, 'mdk-test-base:1', false);
    store.gc();
  });

  test('an image a container uses needs -f (the engine fills the containers table)', async () => {
    const img = await addImage('docker.io/library/mdk-test-used:latest', [b]);
    store.db.prepare('INSERT INTO containers (id, name, image_id, created_at, config) VALUES (?, ?, ?, ?, ?)').run('c1', 'mdk-test-c1', img.id, Date.now(), '{}');
    assert.throws(() => removeImage(store, 'mdk-test-used', false), /container mdk-test-c1 is using its referenced image/);
    store.db.prepare('DELETE FROM containers WHERE id = ?').run('c1');
    removeImage(store, 'mdk-test-used', false);
    store.gc();
  });

  test('what a dead process leased is garbage; what a live one leased is not', async () => {
    const mine = store.beginLease();
    const kept = await putBlob(mine, Buffer.from('mdk-test live lease'));
    // a lease of a process that has exited
    const child = spawnSync('true');
    assert.equal(child.status, 0);
    const deadPid = child.pid!;
    store.db.prepare("INSERT INTO leases (id, pid, start_time, created_at) VALUES ('mdk-test-dead', ?, '1', 0)").run(deadPid);
    const orphan = Buffer.from('mdk-test orphan');
    const orphanDigest = sha256(orphan);
    writeFileSync(store.blobs.path(orphanDigest), orphan);
    store.db.prepare("INSERT INTO lease_refs (lease_id, kind, ref) VALUES ('mdk-test-dead', 'blob', ?)").run(orphanDigest);
    // and a killed unpack's temp dir and ingest file
    mkdirSync(join(store.layerDirs.tmpDir, `${deadPid}-1-abc`, 'diff'), { recursive: true });
    writeFileSync(join(store.blobs.ingestDir, `${deadPid}-1-abc-0123`), 'partial');
    const r = store.gc();
    assert.equal(r.blobs, 1);
    assert.equal(store.blobs.has(orphanDigest), false);
    assert.equal(store.blobs.has(kept), true);
    assert.ok(empty(store.layerDirs.tmpDir));
    assert.ok(empty(store.blobs.ingestDir));
    assert.deepEqual(store.db.prepare("SELECT count(*) AS n FROM leases WHERE id = 'mdk-test-dead'").get(), { n: 0 }, 'the dead lease is gone');
    mine.abandon();
    assert.equal(store.blobs.has(kept), false);
  });

  test('20 processes racing for one container name: exactly one wins', async () => {
    const dbModule = fileURLToPath(new URL('./db.js', import.meta.url));
    const script = `
      const { openDatabase } = await import(${JSON.stringify(dbModule)});
      const db = openDatabase(${JSON.stringify(join(root, 'images.db'))});
      try {
        db.prepare("INSERT INTO containers (id, name, created_at, config) VALUES (?, 'mdk-test-race', ?, '{}')").run(String(process.pid), Date.now());
        process.stdout.write('won');
      } catch (e) {
        process.stdout.write(e.code === 'SQLITE_CONSTRAINT_UNIQUE' ? 'lost' : 'error ' + e.message);
      }`;
    const runs = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<string>((resolve, reject) =>
            execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout) => (err ? reject(err) : resolve(stdout))),
          ),
      ),
    );
    assert.equal(runs.filter((r) => r === 'won').length, 1, runs.join(','));
    assert.equal(runs.filter((r) => r === 'lost').length, 19, runs.join(','));
    store.db.prepare("DELETE FROM containers WHERE name = 'mdk-test-race'").run();
  });
});
