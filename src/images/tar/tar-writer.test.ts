import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { chunked } from '../../../test/helpers/tar-craft.js';
import { openTarReader, readBody } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';

const longDir = `blobs/${'d'.repeat(140)}`;
const longName = `${longDir}/${'f'.repeat(90)}`; // fits ustar prefix + name
const veryLong = `${'x'.repeat(200)}/${'y'.repeat(200)}`; // no ustar split fits: pax path
const target = `/${'t'.repeat(150)}`;
const big = Buffer.alloc(1_000_001, 'b');

async function writeSample(w: TarWriter): Promise<void> {
  await w.addDirectory({ name: 'blobs', mtime: 1700000000 });
  await w.addFile({ name: 'manifest.json', uid: 1000, gid: 1000, uname: 'me', gname: 'us' }, Buffer.from('[]\n'));
  await w.addFile({ name: 'big', size: big.length, mode: 0o600 }, chunked(big, 4096));
  await w.addDirectory({ name: `${longDir}/` });
  await w.addFile({ name: longName }, Buffer.from('long'));
  await w.addFile({ name: veryLong, mtime: 1700000000.25 }, Buffer.from('very long'));
  await w.addSymlink({ name: 'link' }, target);
  await w.addFile({ name: 'ünïcödé', uid: 3_000_000 }, Buffer.alloc(0));
  await w.finish();
}

describe('TarWriter', () => {
  let dir: string;
  let tarFile: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdk-test-tarwrite-'));
    tarFile = join(dir, 'out.tar');
    const out = createWriteStream(tarFile);
    await writeSample(new TarWriter(out));
    out.end();
    await finished(out);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('GNU tar lists it', () => {
    const list = execFileSync('tar', ['--numeric-owner', '-tvf', tarFile], { env: { ...process.env, TZ: 'UTC' } })
      .toString()
      .trim()
      .split('\n');
    assert.deepEqual(
      list.map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
      [
        'drwxr-xr-x 0/0 0',
        '-rw-r--r-- 1000/1000 3',
        '-rw------- 0/0 1000001',
        'drwxr-xr-x 0/0 0',
        '-rw-r--r-- 0/0 4',
        '-rw-r--r-- 0/0 9',
        'lrwxrwxrwx 0/0 0',
        '-rw-r--r-- 3000000/0 0',
      ],
    );
    assert.match(list[0]!, /2023-11-14 22:13 blobs\/$/);
    assert.ok(list[4]!.endsWith(` ${longName}`));
    assert.ok(list[5]!.endsWith(` ${veryLong}`));
    assert.ok(list[6]!.endsWith(` link -> ${target}`));
    assert.ok(list[7]!.endsWith(' ünïcödé'));
  });

  test('GNU tar extracts it', () => {
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tarFile, '-C', out]);
    assert.ok(readFileSync(join(out, 'big')).equals(big));
    assert.equal(readFileSync(join(out, longName), 'utf8'), 'long');
    assert.equal(readFileSync(join(out, veryLong), 'utf8'), 'very long');
    assert.equal(readlinkSync(join(out, 'link')), target);
    assert.equal(lstatSync(join(out, 'big')).mode & 0o777, 0o600);
  });

  test('the reader reads it back, pax mtime fractions included', async () => {
    const seen: [string, string, number, string][] = [];
    for await (const e of openTarReader(chunked(readFileSync(tarFile), 1000))) {
      const body = await readBody(e);
      seen.push([e.header.name, e.header.type, e.header.size, e.header.name === 'big' ? String(body.equals(big)) : body.toString()]);
      if (e.header.name === veryLong) assert.deepEqual(e.header.mtime, { sec: 1700000000, nsec: 250000000 });
      if (e.header.name === 'link') assert.equal(e.header.linkname, target);
      if (e.header.name === 'ünïcödé') assert.equal(e.header.uid, 3_000_000);
    }
    assert.deepEqual(seen, [
      ['blobs/', 'directory', 0, ''],
      ['manifest.json', 'file', 3, '[]\n'],
      ['big', 'file', big.length, 'true'],
      [`${longDir}/`, 'directory', 0, ''],
      [longName, 'file', 4, 'long'],
      [veryLong, 'file', 9, 'very long'],
      ['link', 'symlink', 0, ''],
      ['ünïcödé', 'file', 0, ''],
    ]);
  });

  test('waits for a slow reader (backpressure) and refuses a stream of the wrong size', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const w = new TarWriter(out);
    const parts: Buffer[] = [];
    const reading = (async () => {
      for await (const c of out) {
        parts.push(c as Buffer);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await w.addFile({ name: 'big', size: big.length }, chunked(big, 65536));
    await assert.rejects(w.addFile({ name: 'short', size: 10 }, chunked(Buffer.alloc(5))), /expected 10 bytes of data, got 5/);
    out.end();
    await reading;
    assert.ok(Buffer.concat(parts).subarray(512, 512 + big.length).equals(big));
  });
});
