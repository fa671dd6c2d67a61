import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decompress, decompressArchive, sniffArchiveCompression, sniffCompression } from './decompress.js';

async function all(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

const chunks = (b: Buffer) => (async function* () {
  // in small pieces: the sniffing waits for enough bytes
  for (let i = 0; i < b.length; i += 3) yield b.subarray(i, i + 3);
})();

describe('decompress', () => {
  const plain = Buffer.from('moby-dick\n'.repeat(200));
  const xz = execFileSync('xz', ['-c'], { input: plain });
  const bz = execFileSync('bzip2', ['-c'], { input: plain });

  test('an archive is told xz, bzip2, gzip or plain by its first bytes; a layer only gzip, zstd or plain', () => {
    assert.equal(sniffArchiveCompression(xz), 'xz');
    assert.equal(sniffArchiveCompression(bz), 'bzip2');
    assert.equal(sniffArchiveCompression(gzipSync(plain)), 'gzip');
    assert.equal(sniffArchiveCompression(Buffer.from('BZh0')), 'none', 'BZh needs a block size digit');
    assert.equal(sniffArchiveCompression(plain), 'none');
    assert.equal(sniffCompression(xz), 'none');
    assert.equal(sniffCompression(bz), 'none');
  });

  test('decompressArchive reads xz and bzip2 through the host programs; decompress leaves them as they are', async () => {
    assert.deepEqual(await all(decompressArchive(chunks(xz))), plain);
    assert.deepEqual(await all(decompressArchive(chunks(bz))), plain);
    assert.deepEqual(await all(decompressArchive(chunks(gzipSync(plain)))), plain);
    assert.deepEqual(await all(decompressArchive(chunks(Buffer.from('ab')))), Buffer.from('ab'));
    assert.deepEqual(await all(decompress(chunks(xz))), xz);
  });

  test('a corrupt xz stream is an error naming xz', async () => {
    const bad = Buffer.concat([xz.subarray(0, 20), Buffer.alloc(40, 7)]);
    await assert.rejects(all(decompressArchive(chunks(bad))), /cannot decompress the xz stream/);
  });
});
