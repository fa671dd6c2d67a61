import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { nativeAddon } from '../helper/native-addon.js';
import { TarWriter } from '../images/tar/tar-writer.js';
import { NodeFsSyscalls } from '../../test/helpers/fs-syscalls.js';
import { listChanges, writeLayerDiff } from './layer-diff.js';

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

const S_IFCHR = 0o020000;

/**
 * The walk with the addon's *at calls given in (Node's fs,
 * test/helpers/fs-syscalls.ts): what `diff` lists and what a layer gets,
 * whiteouts, an opaque directory and the runtime's empty mount points left
 * out. No root, no addon, no overlay.
 */
describe("a container's changes, the walk's syscalls given in", () => {
  const upper = mkdtempSync(join(tmpdir(), 'mdk-test-layer-diff-'));
  after(() => rmSync(upper, { recursive: true, force: true }));
  mkdirSync(join(upper, 'etc'));
  writeFileSync(join(upper, 'etc', 'hosts'), ''); // the runtime's mount point, empty: left out, and /etc with it
  mkdirSync(join(upper, 'app', 'cache'), { recursive: true });
  writeFileSync(join(upper, 'app', 'main.js'), 'console.log(1)\n');
  writeFileSync(join(upper, 'app', 'gone'), ''); // a whiteout, as overlayfs writes it: a char device 0:0
  symlinkSync('/app/main.js', join(upper, 'app', 'link'));
  mkdirSync(join(upper, 'proc')); // empty and new: left out
  const sys = new NodeFsSyscalls();
  sys.devices.set(join(upper, 'app', 'gone'), [S_IFCHR | 0o600, 0, 0]);
  sys.xattrs.set(join(upper, 'app', 'cache'), new Map([['trusted.overlay.opaque', Buffer.from('y')]]));
  const keepOut = (): boolean => true;

  test('diff: A for what the image lacks, C for what it has, D for a whiteout, in path order; mount points left out', async () => {
    const changes = await listChanges(upper, (rel) => rel === 'app', keepOut, sys);
    assert.deepEqual(changes, [
      { kind: 'C', path: '/app' },
      { kind: 'A', path: '/app/cache' },
      { kind: 'D', path: '/app/gone' },
      { kind: 'A', path: '/app/link' },
      { kind: 'A', path: '/app/main.js' },
    ]);
    assert.ok(sys.calls.includes('readDirAt') && sys.calls.includes('getXattrAt'));
  });

  test('a layer: directories, a file with its data, a symlink, a whiteout as .wh.NAME, an opaque directory\'s .wh..wh..opq', async () => {
    const written: string[] = [];
    const w = {
      addDirectory: async (e: { name: string }) => void written.push(`dir ${e.name}`),
      addFile: async (e: { name: string; size?: number }, data: Buffer | AsyncIterable<Buffer>) => {
        let text = '';
        if (Buffer.isBuffer(data)) text = data.toString();
        else for await (const chunk of data) text += chunk.toString();
        written.push(`file ${e.name} ${JSON.stringify(text)}`);
      },
      addSymlink: async (e: { name: string }, target: string | Buffer) => void written.push(`symlink ${e.name} -> ${target.toString()}`),
      addHardlink: async (e: { name: string }) => void written.push(`hardlink ${e.name}`),
      addNode: async (e: { name: string }, kind: string) => void written.push(`${kind} ${e.name}`),
    } as unknown as TarWriter;
    const r = await writeLayerDiff(w, upper, keepOut, {}, sys);
    assert.deepEqual(written, [
      'dir app',
      'dir app/cache',
      'file app/cache/.wh..wh..opq ""',
      'file app/.wh.gone ""',
      'symlink app/link -> /app/main.js',
      'file app/main.js "console.log(1)\\n"',
    ]);
    assert.deepEqual(r, { entries: 5, exact: false });
  });
});

describe('a filesystem without xattrs (procfs here; user.* on tmpfs before Linux 6.6)', () => {
  // the opaque and capability xattrs read as absent instead of ENOTSUP

  test('diff lists the entries, directories (opaque or not) and files', async () => {
    const dir = '/proc/sys/kernel';
    const changes = await listChanges(dir, () => false, () => false);
    const all = readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => `/${p}`);
    assert.ok(all.includes('/random/uuid'));
    assert.deepEqual(changes.map((c) => c.path), all.sort());
  });

  test('a layer of it has every entry, with no xattrs', async () => {
    const dir = '/proc/sys/kernel/random';
    const r = await writeLayerDiff(sink(), dir, () => false);
    assert.equal(r.entries, readdirSync(dir).length);
  });
});
