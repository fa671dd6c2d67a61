import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { nativeAddon } from '../helper/native-addon.js';
import { TarWriter } from '../images/tar/tar-writer.js';
import { writeLayerDiff } from './layer-diff.js';

const sink = (): TarWriter => new TarWriter(new Writable({ write: (_c, _e, done) => done() }));

describe('writeLayerDiff', () => {
  const base = mkdtempSync('/tmp/mdk-test-layerdiff-');
  after(() => rmSync(base, { recursive: true, force: true }));
  let n = 0;
  /** an upper dir: a file, a directory with a file, a symlink; times with fractions of a second */
  const upper = (): string => {
    const dir = join(base, `u${n++}`);
    mkdirSync(join(dir, 'd'), { recursive: true });
    writeFileSync(join(dir, 'f'), 'x');
    writeFileSync(join(dir, 'd', 'g'), 'y');
    symlinkSync('f', join(dir, 'l'));
    for (const p of ['f', 'd/g', 'd']) utimesSync(join(dir, p), 1000.25, 2000.75);
    return dir;
  };
  const keepAll = () => false;

  test('normalizeTimes: every entry takes the tar\'s whole-second mtime as atime and mtime; exact', async () => {
    const dir = upper();
    const r = await writeLayerDiff(sink(), dir, keepAll, { normalizeTimes: true });
    assert.deepEqual(r, { entries: 4, exact: true });
    for (const p of ['f', 'd/g', 'd']) {
      const st = lstatSync(join(dir, p), { bigint: true });
      assert.equal(st.mtimeNs, 2000n * 1_000_000_000n, p);
      assert.equal(st.atimeNs, 2000n * 1_000_000_000n, p);
    }
  });

  test('without it the upper dir is left alone and never called exact', async () => {
    const dir = upper();
    const r = await writeLayerDiff(sink(), dir, keepAll);
    assert.deepEqual(r, { entries: 4, exact: false });
    assert.equal(lstatSync(join(dir, 'f'), { bigint: true }).mtimeNs, 2000_750_000_000n);
  });

  test('an entry left out of the tar (a mount point, a socket) makes it not exact', async () => {
    const dir = upper();
    mkdirSync(join(dir, 'proc'));
    const r = await writeLayerDiff(sink(), dir, (rel, empty) => empty && rel === 'proc', { normalizeTimes: true });
    assert.deepEqual(r, { entries: 4, exact: false });
    const dir2 = upper();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir2, 'sock'), resolve));
    try {
      const r2 = await writeLayerDiff(sink(), dir2, keepAll, { normalizeTimes: true });
      assert.deepEqual(r2, { entries: 4, exact: false });
    } finally {
      server.close();
    }
  });

  test('setAside (a RUN\'s upper dir): what is left out is moved aside and the dir stays exact; an xattr the tar lacks makes it inexact', async () => {
    const dir = upper();
    mkdirSync(join(dir, 'proc'));
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'hosts'), '');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'd', 'sock'), resolve));
    const aside = join(base, `aside${n++}`);
    mkdirSync(aside);
    const moved: string[] = [];
    const setAside = (d: number, name: Buffer): boolean => {
      moved.push(name.toString());
      renameSync(`/proc/self/fd/${d}/${name.toString()}`, join(aside, name.toString()));
      return true;
    };
    try {
      const keepOut = (rel: string, empty: boolean) => empty && !rel.startsWith('d');
      const r = await writeLayerDiff(sink(), dir, keepOut, { normalizeTimes: true, setAside });
      assert.deepEqual(r, { entries: 4, exact: true });
      assert.deepEqual(moved.sort(), ['etc', 'proc', 'sock']);
      for (const gone of ['proc', 'etc', 'd/sock']) assert.equal(existsSync(join(dir, gone)), false, gone);
      // a mover that cannot: not exact
      const dir2 = upper();
      mkdirSync(join(dir2, 'proc'));
      assert.equal((await writeLayerDiff(sink(), dir2, keepOut, { normalizeTimes: true, setAside: () => false })).exact, false);
    } finally {
      server.close();
    }
    // a user.* xattr (a RUN's setfattr): the tar does not carry it
    const dir3 = upper();
    const fd = openSync(dir3, 'r');
    try {
      nativeAddon().setXattrAt(fd, Buffer.from('f'), 'user.note', Buffer.from('x'));
    } finally {
      closeSync(fd);
    }
    assert.equal((await writeLayerDiff(sink(), dir3, keepAll, { normalizeTimes: true, setAside })).exact, false);
    assert.equal((await writeLayerDiff(sink(), upper(), keepAll, { normalizeTimes: true, setAside })).exact, true);
  });
});
