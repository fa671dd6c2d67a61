/**
 * The layer unpacker's logic without root and without the addon (issue 14,
 * item 4): every syscall goes to a recording fake made of Node's fs
 * (test/helpers/fs-layer-syscalls.ts) that keeps owners, device nodes and
 * xattrs in memory, refuses a name of more than one component as the addon
 * does, resolves openInRoot as RESOLVE_IN_ROOT does, and runs the writer
 * threads' queue on a schedule the test picks: at once ('eager'), or only
 * when the unpacker waits or drains ('lazy', the slowest worker possible).
 * The same unpacks with the addon (as any user: unpack-layer.test.ts) and as
 * root against the kernel (test/integration/unpack-layer.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { addonLoaded, FsLayerSyscalls } from '../../../test/helpers/fs-layer-syscalls.js';
import { chunked, craftTar, type CraftEntry } from '../../../test/helpers/tar-craft.js';
import { MobyDickError } from '../../errors.js';
import { extractArchive, unpackLayer, unpackLayerFile } from './unpack-layer.js';

const DIGEST = 'sha256:mdk-test-layer';
const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');
/** one for the file: the file queue is the process's, and keeps the first unpack's syscalls */
const sys = new FsLayerSyscalls();

let tmp: string;
let layer: string;
const inLayer = (...p: string[]) => join(layer, ...p);

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mdk-test-unpack-fake-'));
  layer = join(tmp, 'layer');
  sys.failFile = undefined;
  sys.forget();
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

// a directory's mode is given: as any user, 0644 (the tar's default) could not be entered
const unpack = (entries: CraftEntry[], chunk = 65536) => unpackLayer(chunked(craftTar(entries), chunk), layer, { layerDigest: DIGEST }, sys);

/** every name under DIR, relative */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const rel = prefix ? `${prefix}/${n}` : n;
    return lstatSync(join(dir, n)).isDirectory() ? [rel, ...tree(join(dir, n), rel)] : [rel];
  });
}

for (const schedule of ['lazy', 'eager'] as const) {
  describe(`unpack without the addon, the writer threads ${schedule}`, () => {
    beforeEach(() => void (sys.schedule = schedule));

    test('.wh.NAME a 0/0 character device owned as the entry says, in a parent made if missing; .wh..wh..opq the opaque xattr; aufs metadata and the layer\'s own names skipped', async () => {
      await unpack([
        { name: 'dir/', type: '5', mode: 0o755 },
        { name: 'dir/.wh..wh..opq' },
        { name: 'dir/new', data: 'n' },
        { name: '.wh.gone', uid: 5, gid: 6 },
        { name: 'sub/.wh.file' },
        { name: '.wh..wh.plnk/', type: '5', mode: 0o755 },
        { name: '.wh..wh.plnk/123', data: 'aufs' },
        { name: 'same', data: 'stays' },
        { name: '.wh.same' },
      ]);
      assert.deepEqual(tree(layer), ['dir', 'dir/new', 'gone', 'same', 'sub', 'sub/file']);
      assert.deepEqual(sys.node(inLayer('gone')), { type: 'char', major: 0, minor: 0 });
      assert.deepEqual(sys.owner(inLayer('gone')), [5, 6]);
      assert.deepEqual(sys.node(inLayer('sub/file')), { type: 'char', major: 0, minor: 0 });
      assert.equal(lstatSync(inLayer('sub')).mode & 0o7777, 0o755, 'a missing parent is made 0755');
      assert.deepEqual(sys.owner(inLayer('sub')), undefined, 'and left root\'s (its owner never set)');
      assert.equal(sys.xattr(inLayer('dir'), 'trusted.overlay.opaque')?.toString(), 'y');
      assert.equal(sys.xattr(inLayer('dir'), 'user.overlay.opaque'), undefined);
      assert.equal(readFileSync(inLayer('dir/new'), 'utf8'), 'n');
      assert.equal(readFileSync(inLayer('same'), 'utf8'), 'stays', 'a whiteout hides lower layers only');
      assert.equal(sys.node(inLayer('same')), undefined);
    });

    test('hard links: one inode by any path to the target, through the layer\'s symlinks and ".." inside it; owner and setuid kept', async () => {
      await unpack([
        { name: 'd/', type: '5', mode: 0o755 },
        { name: 'd/file', data: 'data', uid: 7, gid: 8, mode: 0o4755 },
        { name: 'link', type: '1', linkname: 'd/file' },
        { name: 'climb', type: '1', linkname: '../../../d/file' },
        { name: 'abs', type: '1', linkname: '/d/file' },
        { name: 'd/file', type: '1', linkname: './d/file' },
        { name: 'sl', type: '2', linkname: '/d' },
        { name: 'via', type: '1', linkname: 'sl/file' },
      ], 512);
      const ino = lstatSync(inLayer('d/file')).ino;
      for (const n of ['link', 'climb', 'abs', 'via']) {
        assert.equal(lstatSync(inLayer(n)).ino, ino, n);
        assert.equal(readFileSync(inLayer(n), 'utf8'), 'data', n);
      }
      assert.equal(lstatSync(inLayer('d/file')).nlink, 5, 'a link to itself adds none');
      assert.deepEqual(sys.owner(inLayer('link')), [7, 8]);
      assert.equal(lstatSync(inLayer('d/file')).mode & 0o7777, 0o4755, 'setuid set after the owner (chown clears it)');
    });

    test('a hard link to the layer root, or to a name the layer lacks, is refused naming the entry', async () => {
      await assert.rejects(unpack([{ name: 'x', type: '1', linkname: './' }]), /^MobyDickError: layer sha256:mdk-test-layer: entry "x" \(at byte \d+\): hard link to the layer root/);
      rmSync(layer, { recursive: true });
      await assert.rejects(unpack([{ name: 'x', type: '1', linkname: '../../etc/passwd' }]), (e: MobyDickError) => {
        assert.match(e.message, /entry "x" \(at byte \d+\): cannot unpack/);
        assert.equal(e.details.errnoName, 'ENOENT');
        return true;
      });
      assert.deepEqual(readdirSync(layer), []);
    });

    test('names that climb, absolute names and names through the layer\'s own symlinks stay inside the layer; a symlink as the last name is replaced', async () => {
      const outside = join(tmp, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'secret'), 'secret');
      await unpack([
        { name: '../outside/secret', data: 'pwned' },
        { name: `${outside}/abs`, data: 'pwned' },
        { name: 'up', type: '2', linkname: '../../..' },
        { name: `up${outside}/`, type: '5', mode: 0o755 },
        { name: `up${outside}/via-link`, data: 'pwned', uid: 9 },
        { name: 'last', type: '2', linkname: `${outside}/secret` },
        { name: 'last', data: 'replaced', mode: 0o644, uid: 4 },
      ]);
      assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'secret');
      assert.deepEqual(readdirSync(outside), ['secret']);
      assert.equal(sys.owner(join(outside, 'secret')), undefined, 'nothing outside was chowned');
      assert.equal(readFileSync(inLayer('outside/secret'), 'utf8'), 'pwned');
      assert.equal(readFileSync(inLayer(outside, 'abs'), 'utf8'), 'pwned');
      assert.deepEqual(sys.owner(inLayer(outside, 'via-link')), [9, 0]);
      assert.ok(lstatSync(inLayer('last')).isFile(), 'not written through');
      assert.equal(readFileSync(inLayer('last'), 'utf8'), 'replaced');
      assert.deepEqual(sys.owner(inLayer('last')), [4, 0]);
    });

    test('a path through a symlink that leads out of the layer is refused, naming the entry; nothing is made outside', async () => {
      const outside = join(tmp, 'outside');
      mkdirSync(outside);
      for (const [link, target] of [['out', outside], ['dangling', '/mdk-test-nowhere'], ['rel', '../../outside']]) {
        rmSync(layer, { recursive: true, force: true });
        await assert.rejects(unpack([{ name: link!, type: '2', linkname: target! }, { name: `${link}/x`, data: 'pwned' }]), (e: MobyDickError) => {
          assert.match(e.message, new RegExp(`entry "${link}/x" \\(at byte \\d+\\): cannot unpack`));
          assert.equal(e.details.errnoName, 'EEXIST', link);
          assert.match(e.details.hint ?? '', /a path goes through something that is not a directory/);
          return true;
        });
        assert.deepEqual(readdirSync(outside), [], link);
        assert.equal(readlinkSync(inLayer(link!)), target, 'the symlink stays as the layer made it');
      }
    });

    test('a later entry of the same name wins, by any path, in archive order: file, device, directory', async () => {
      await unpack([
        { name: 'a', data: 'first', uid: 1 },
        { name: 'd/', type: '5', mode: 0o755 },
        { name: './d/../a', data: 'second', uid: 2 },
        { name: 'l', type: '1', linkname: 'a' },
        { name: 'a', data: 'third', uid: 3 },
        { name: 'x', type: '3', devmajor: 1, devminor: 3 },
        { name: 'x', data: 'a file now' },
        { name: 'y/', type: '5', mode: 0o755 },
        { name: 'y/z', data: 'z' },
        { name: 'y', data: 'a file over a directory' },
        { name: 'w', data: 'a directory over a file' },
        { name: 'w/', type: '5', mode: 0o750 },
      ], 512);
      assert.equal(readFileSync(inLayer('a'), 'utf8'), 'third');
      assert.deepEqual(sys.owner(inLayer('a')), [3, 0]);
      assert.equal(readFileSync(inLayer('l'), 'utf8'), 'second', 'the link kept the file it was made to');
      assert.equal(sys.node(inLayer('x')), undefined, 'the device was replaced');
      assert.equal(readFileSync(inLayer('x'), 'utf8'), 'a file now');
      assert.equal(readFileSync(inLayer('y'), 'utf8'), 'a file over a directory');
      assert.ok(lstatSync(inLayer('w')).isDirectory());
      assert.equal(lstatSync(inLayer('w')).mode & 0o7777, 0o750);
    });

    test('xattrs set after the owner (chown clears security.capability), devices and fifos, directory times after their contents', async () => {
      await unpack([
        { name: 'd/', type: '5', mode: 0o755, mtime: 1000 },
        { name: 'd/cap', data: 'x', uid: 1234, gid: 5678, mode: 0o4755, pax: { 'SCHILY.xattr.security.capability': CAP, 'SCHILY.xattr.user.note': 'n' } },
        { name: 'd/big', data: Buffer.alloc(100_000, 'b'), mode: 0o640, uid: 7, gid: 8 },
        { name: 'd/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'd/loop0', type: '4', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
        { name: 'd/fifo', type: '6', mode: 0o600 },
      ], 4096);
      assert.ok(sys.xattr(inLayer('d/cap'), 'security.capability')?.equals(CAP), 'binary bytes as they are, kept after the chown');
      assert.equal(sys.xattr(inLayer('d/cap'), 'user.note')?.toString(), 'n');
      assert.deepEqual(sys.owner(inLayer('d/cap')), [1234, 5678]);
      assert.equal(lstatSync(inLayer('d/cap')).mode & 0o7777, 0o4755, 'setuid set after the owner (chown clears it)');
      assert.ok(readFileSync(inLayer('d/big')).equals(Buffer.alloc(100_000, 'b')), 'a file in pieces');
      assert.deepEqual(sys.owner(inLayer('d/big')), [7, 8]);
      assert.equal(lstatSync(inLayer('d/big')).mode & 0o7777, 0o640);
      assert.deepEqual(sys.node(inLayer('d/null')), { type: 'char', major: 1, minor: 3 });
      assert.deepEqual(sys.node(inLayer('d/loop0')), { type: 'block', major: 7, minor: 0 });
      assert.deepEqual(sys.node(inLayer('d/fifo')), { type: 'fifo', major: 0, minor: 0 });
      assert.equal(statSync(inLayer('d')).mtimeMs, 1_000_000, 'the directory\'s time, set once its files are written');
      assert.equal(statSync(inLayer('d/big')).mtimeMs, 1_700_000_000_000);
    });

    test('a file the writer threads fail names its entry, with the errno and a hint', async () => {
      sys.failFile = { name: 'big', errno: 28 };
      await assert.rejects(unpack([{ name: 'small', data: 's' }, { name: 'big', data: Buffer.alloc(20_000, 'b') }, { name: 'after', data: 'a' }], 8192), (e: MobyDickError) => {
        assert.match(e.message, /^layer sha256:mdk-test-layer: entry "big" \(at byte \d+\): cannot unpack: writing the file: /);
        assert.equal(e.details.errnoName, 'ENOSPC');
        assert.equal(e.details.hint, 'the filesystem of the image store is full');
        return true;
      });
    });
  });
}

describe('unpack without the addon: refusals and other forms', () => {
  test('a whiteout that names nothing is refused, naming the layer and the entry', async () => {
    for (const name of ['ro/.wh.', 'ro/.wh..', 'ro/.wh...']) {
      rmSync(layer, { recursive: true, force: true });
      await assert.rejects(unpack([{ name: 'ro/', type: '5', mode: 0o755 }, { name }]), new RegExp(`^MobyDickError: layer sha256:mdk-test-layer: entry "${name.replace(/\./g, '\\.')}" \\(at byte \\d+\\): whiteout`));
    }
  });

  test('a rootless store: user.overlay.opaque, device nodes skipped with a warning (whiteouts and fifos made), trusted.* and overlay xattrs skipped', async () => {
    const warnings: string[] = [];
    await unpackLayer(
      chunked(craftTar([
        { name: 'dir/', type: '5', mode: 0o755 },
        { name: 'dir/.wh..wh..opq' },
        { name: '.wh.gone' },
        { name: 'null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'fifo', type: '6', mode: 0o600 },
        { name: 'f', data: 'x', pax: { 'SCHILY.xattr.trusted.md': 'v', 'SCHILY.xattr.user.overlay.redirect': '/etc', 'SCHILY.xattr.security.capability': CAP } },
      ])),
      layer,
      { layerDigest: DIGEST, rootless: { warn: (m) => warnings.push(m) } },
      sys,
    );
    assert.equal(sys.xattr(inLayer('dir'), 'user.overlay.opaque')?.toString(), 'y');
    assert.equal(sys.xattr(inLayer('dir'), 'trusted.overlay.opaque'), undefined);
    assert.deepEqual(sys.node(inLayer('gone')), { type: 'char', major: 0, minor: 0 });
    assert.ok(!existsSync(inLayer('null')));
    assert.deepEqual(sys.node(inLayer('fifo')), { type: 'fifo', major: 0, minor: 0 });
    assert.ok(sys.xattr(inLayer('f'), 'security.capability')?.equals(CAP));
    assert.equal(sys.xattr(inLayer('f'), 'trusted.md'), undefined);
    assert.deepEqual(warnings.map((w) => w.replace(/^layer \S+: /, '')), [
      'char device "null" (1:3) skipped: a rootless store cannot hold device nodes',
      'xattr trusted.md of "f" skipped: not settable in a rootless store',
      'xattr user.overlay.redirect of "f" skipped: not settable in a rootless store',
    ]);
  });

  test('extractArchive (cp): .wh. names are plain names, the rewrite renames and skips entries', async () => {
    mkdirSync(layer);
    const r = await extractArchive(
      chunked(craftTar([
        { name: '.wh.kept', data: 'k' },
        { name: 'd/', type: '5', mode: 0o755 },
        { name: 'd/.wh..wh..opq', data: 'o' },
        { name: 'skipped', data: 'no' },
      ])),
      openSync(layer, 'r'),
      'copying to mdk-test',
      (h) => (h.name === 'skipped' ? undefined : { ...h, name: `into/${h.name}`, nameBytes: Buffer.from(`into/${h.name}`) }),
      sys,
    );
    assert.deepEqual(tree(layer), ['into', 'into/.wh.kept', 'into/d', 'into/d/.wh..wh..opq']);
    assert.equal(sys.xattr(inLayer('into/d'), 'trusted.overlay.opaque'), undefined);
    assert.equal(r.entries, 3, 'the skipped one not counted');
  });

  test('unpackLayerFile: an uncompressed layer through the given mapFile', async () => {
    const file = join(tmp, 'layer.tar');
    writeFileSync(file, craftTar([{ name: 'etc/', type: '5', mode: 0o755 }, { name: 'etc/hostname', data: 'mdk-test\n' }]));
    const before = sys.calls.filter((c) => c.startsWith('mapFile')).length;
    const r = await unpackLayerFile(file, layer, { layerDigest: DIGEST }, sys);
    assert.equal(readFileSync(inLayer('etc/hostname'), 'utf8'), 'mdk-test\n');
    assert.equal(r.entries, 2);
    assert.equal(sys.calls.filter((c) => c.startsWith('mapFile')).length, before + 1);
  });

  test('every call named one component, through the fake; the addon was never loaded', () => {
    assert.ok(sys.calls.some((c) => c.startsWith('queueFiles')), 'the writer threads\' queue was used');
    assert.ok(sys.calls.some((c) => c.startsWith('openInRoot')));
    assert.ok(sys.workers >= 1);
    assert.equal(addonLoaded(), false);
  });
});
