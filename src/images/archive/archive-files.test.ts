import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { chunked, craftTar } from '../../../test/helpers/tar-craft.js';
import { normalizeEntryName, readArchive } from './archive-files.js';
import { BlobStore } from '../store/blobs.js';
import { MobyDickError } from '../../errors.js';

const digest = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('archive files', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-archive-files-'));
  const blobs = new BlobStore(root);
  let n = 0;
  const fresh = (): string => {
    const d = join(root, 'ingest', `dir${n++}`);
    mkdirSync(d);
    return d;
  };
  after(() => rmSync(root, { recursive: true, force: true }));

  test('entry names lose "./", "//", a leading "/" and ".." that climbs out', () => {
    assert.equal(normalizeEntryName('./manifest.json'), 'manifest.json');
    assert.equal(normalizeEntryName('/blobs//sha256/ab'), 'blobs/sha256/ab');
    assert.equal(normalizeEntryName('../../etc/passwd'), 'etc/passwd');
    assert.equal(normalizeEntryName('a/b/../c/'), 'a/c');
  });

  test('files are hashed into temp files; symlinks and hard links are followed by name; gzip is read', async () => {
    const tar = craftTar([
      { name: './blobs/', type: '5' },
      { name: './blobs/sha256/one', data: 'one' },
      { name: 'id/layer.tar', type: '2', linkname: '../blobs/sha256/one' },
      { name: 'hard', type: '1', linkname: './id/layer.tar' },
      { name: 'loop', type: '2', linkname: 'loop' },
      { name: 'manifest.json', data: '[]' },
    ]);
    const files = await readArchive(chunked(gzipSync(tar), 100), blobs, fresh());
    const one = files.get('blobs/sha256/one');
    assert.ok(one);
    assert.equal(one.digest, digest('one'));
    assert.equal(one.size, 3);
    assert.equal(readFileSync(one.path, 'utf8'), 'one');
    assert.equal(files.get('id/layer.tar'), one);
    assert.equal(files.get('./hard'), one);
    assert.equal(files.get('loop'), undefined, 'a link loop names nothing');
    assert.equal(files.get('missing'), undefined);
    assert.deepEqual(files.all().map((f) => f.name).sort(), ['blobs/sha256/one', 'manifest.json']);
    assert.deepEqual(JSON.parse(files.read(files.get('manifest.json')!).toString()), []);
  });

  test('an empty input, and a truncated archive, are ARCHIVE errors', async () => {
    await assert.rejects(readArchive(chunked(Buffer.alloc(0)), blobs, fresh()), (e: unknown) => {
      assert.ok(e instanceof MobyDickError);
      assert.equal(e.code, 'ARCHIVE');
      assert.match(e.message, /the archive is empty/);
      return true;
    });
    const cut = craftTar([{ name: 'big', data: 'x'.repeat(5000) }]).subarray(0, 2000);
    await assert.rejects(readArchive(chunked(cut), blobs, fresh()), /the archive is truncated: it ends inside the data of "big"/);
  });
});
