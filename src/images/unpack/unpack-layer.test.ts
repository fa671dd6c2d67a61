/**
 * The layer unpacker's decisions, as any user: the syscalls only root may
 * make (owners, device nodes, trusted.* and security.* xattrs) go to a fake
 * that keeps them (test/helpers/rootless-syscalls.ts), everything else is
 * the real addon on a temporary directory. The same unpacks against the
 * kernel itself, as root, with an overlay mounted on the result:
 * test/integration/unpack-layer.test.ts.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { chunked, craftTar, type CraftEntry } from '../../../test/helpers/tar-craft.js';
import { RootlessSyscalls } from '../../../test/helpers/rootless-syscalls.js';
import { unpackLayer } from './unpack-layer.js';

const DIGEST = 'sha256:mdk-test-layer';
const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');

let tmp: string;
let layer: string;
/** one for the file: the addon's file queue is the process's, and keeps the first unpack's syscalls */
const sys = new RootlessSyscalls();
const inLayer = (...p: string[]) => join(layer, ...p);

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mdk-test-unpack-'));
  layer = join(tmp, 'layer');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

// (a directory's mode is 0644 unless given: as root it is written into all the same, as another user not)
const unpack = (entries: CraftEntry[], chunk = 65536) => unpackLayer(chunked(craftTar(entries), chunk), layer, { layerDigest: DIGEST }, sys);

describe('unpack (as any user, root-only syscalls faked)', () => {
  test('owners of files, directories and symlinks as the tar says; devices, fifos, hard links, modes and xattrs', async () => {
    await unpack([
      { name: 'd/', type: '5', mode: 0o750, uid: 10, gid: 11 },
      { name: 'd/small', data: 'small', mode: 0o4755, uid: 1234, gid: 5678, pax: { 'SCHILY.xattr.security.capability': CAP } },
      { name: 'd/big', data: Buffer.alloc(200000, 'b'), mode: 0o640, uid: 7, gid: 8 },
      { name: 'd/hard', type: '1', linkname: 'd/small' },
      { name: 'abs', type: '2', linkname: '/etc/shadow', uid: 3, gid: 4 },
      { name: 'null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'loop0', type: '4', devmajor: 7, devminor: 0, mode: 0o660, uid: 0, gid: 6 },
      { name: 'fifo', type: '6', mode: 0o644 },
    ], 4096);
    assert.deepEqual(sys.owner(inLayer('d')), [10, 11]);
    assert.deepEqual(sys.owner(inLayer('d/small')), [1234, 5678]);
    assert.deepEqual(sys.owner(inLayer('d/big')), [7, 8]);
    assert.deepEqual(sys.owner(inLayer('abs')), [3, 4], 'the symlink itself');
    assert.equal(lstatSync(inLayer('d')).mode & 0o7777, 0o750);
    assert.equal(lstatSync(inLayer('d/small')).mode & 0o7777, 0o4755);
    assert.equal(readFileSync(inLayer('d/small'), 'utf8'), 'small');
    assert.ok(readFileSync(inLayer('d/big')).equals(Buffer.alloc(200000, 'b')));
    assert.equal(lstatSync(inLayer('d/hard')).ino, lstatSync(inLayer('d/small')).ino);
    assert.equal(readlinkSync(inLayer('abs')), '/etc/shadow', 'an absolute target as it is');
    assert.deepEqual(sys.device(inLayer('null')), { type: 'char', major: 1, minor: 3 });
    assert.deepEqual(sys.device(inLayer('loop0')), { type: 'block', major: 7, minor: 0 });
    assert.ok(lstatSync(inLayer('fifo')).isFIFO());
    assert.ok(sys.xattr(inLayer('d/small'), 'security.capability')?.equals(CAP), 'binary xattr bytes as they are');
  });

  test('.wh.NAME becomes a 0/0 character device owned as the entry says, .wh..wh..opq the opaque xattr; aufs metadata and own names are skipped', async () => {
    await unpack([
      { name: 'dir/', type: '5', mode: 0o755 },
      { name: 'dir/.wh..wh..opq' },
      { name: 'dir/new', data: 'n' },
      { name: '.wh.gone', uid: 5, gid: 6 },
      { name: 'sub/.wh.file' },
      { name: '.wh..wh.plnk/', type: '5' },
      { name: '.wh..wh.plnk/123', data: 'aufs' },
      { name: 'same', data: 'stays' },
      { name: '.wh.same' },
    ]);
    assert.deepEqual(sys.device(inLayer('gone')), { type: 'char', major: 0, minor: 0 });
    assert.deepEqual(sys.owner(inLayer('gone')), [5, 6]);
    assert.deepEqual(sys.device(inLayer('sub/file')), { type: 'char', major: 0, minor: 0 });
    assert.equal(sys.xattr(inLayer('dir'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(readFileSync(inLayer('dir/new'), 'utf8'), 'n');
    assert.ok(!existsSync(inLayer('.wh.gone')));
    assert.ok(!existsSync(inLayer('.wh..wh.plnk')));
    assert.equal(readFileSync(inLayer('same'), 'utf8'), 'stays', 'a whiteout hides lower layers only');
    assert.equal(sys.device(inLayer('same')), undefined);
  });

  test('a whiteout that names nothing is refused, naming the layer and the entry', async () => {
    await assert.rejects(unpack([{ name: 'ro/', type: '5' }, { name: 'ro/.wh.' }]), /^MobyDickError: layer sha256:mdk-test-layer: entry "ro\/\.wh\." \(at byte \d+\): whiteout/);
  });

  test('a later entry of the same name wins, by any path, in archive order across the writer threads', async () => {
    await unpack([
      { name: 'a', data: 'first', uid: 1 },
      { name: 'd/', type: '5', mode: 0o755 },
      { name: './d/../a', data: 'second', uid: 2 },
      { name: 'l', type: '1', linkname: 'a' },
      { name: 'a', data: 'third', uid: 3 },
      { name: 'x', type: '3', devmajor: 1, devminor: 3 },
      { name: 'x', data: 'a file now' },
    ], 512);
    assert.equal(readFileSync(inLayer('a'), 'utf8'), 'third');
    assert.deepEqual(sys.owner(inLayer('a')), [3, 0]);
    assert.equal(readFileSync(inLayer('l'), 'utf8'), 'second', 'the link kept the file it was made to');
    assert.equal(sys.device(inLayer('x')), undefined, 'the device was replaced');
    assert.equal(readFileSync(inLayer('x'), 'utf8'), 'a file now');
  });

  test('names that climb, absolute names and names through the layer\'s own symlinks stay inside the layer', async () => {
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
      { name: 'last', data: 'replaced', mode: 0o777, uid: 4 },
    ]);
    assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'secret');
    assert.deepEqual(readdirSync(outside), ['secret']);
    assert.equal(readFileSync(inLayer('outside/secret'), 'utf8'), 'pwned');
    assert.equal(readFileSync(inLayer(outside, 'abs'), 'utf8'), 'pwned');
    assert.equal(readFileSync(inLayer(outside, 'via-link'), 'utf8'), 'pwned');
    assert.deepEqual(sys.owner(inLayer(outside, 'via-link')), [9, 0]);
    assert.ok(lstatSync(inLayer('last')).isFile(), 'a symlink as the last component is replaced, not written through');
    assert.deepEqual(sys.owner(inLayer('last')), [4, 0]);
    assert.equal(sys.owner(join(outside, 'secret')), undefined, 'nothing outside was chowned');
  });
});


describe('unpack for a rootless store', () => {
  test('user.overlay.opaque, devices skipped with a warning (whiteouts and fifos made), trusted.* and overlay xattrs skipped', async () => {
    const warnings: string[] = [];
    await unpackLayer(
      chunked(craftTar([
        { name: 'dir/', type: '5', mode: 0o755 },
        { name: 'dir/.wh..wh..opq' },
        { name: '.wh.gone' },
        { name: 'null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'loop0', type: '4', devmajor: 7, devminor: 0 },
        { name: 'fifo', type: '6', mode: 0o600 },
        { name: 'f', data: 'x', pax: { 'SCHILY.xattr.trusted.md': 'v', 'SCHILY.xattr.user.overlay.redirect': '/etc', 'SCHILY.xattr.security.capability': CAP } },
      ]), 65536),
      layer,
      { layerDigest: DIGEST, rootless: { warn: (m) => warnings.push(m) } },
      sys,
    );
    const fd = openSync(inLayer('dir'), 'r');
    try {
      assert.equal(sys.getXattrAt(fd, Buffer.alloc(0), 'user.overlay.opaque')?.toString(), 'y');
    } finally {
      closeSync(fd);
    }
    assert.equal(sys.xattr(inLayer('dir'), 'trusted.overlay.opaque'), undefined);
    assert.deepEqual(sys.device(inLayer('gone')), { type: 'char', major: 0, minor: 0 });
    assert.ok(!existsSync(inLayer('null')) && !existsSync(inLayer('loop0')), 'no device node');
    assert.ok(lstatSync(inLayer('fifo')).isFIFO());
    assert.equal(sys.xattr(inLayer('f'), 'trusted.md'), undefined);
    assert.ok(sys.xattr(inLayer('f'), 'security.capability')?.equals(CAP));
    assert.deepEqual(warnings.map((w) => w.replace(/^layer \S+: /, '')), [
      'char device "null" (1:3) skipped: a rootless store cannot hold device nodes',
      'block device "loop0" (7:0) skipped: a rootless store cannot hold device nodes',
      'xattr trusted.md of "f" skipped: not settable in a rootless store',
      'xattr user.overlay.redirect of "f" skipped: not settable in a rootless store',
    ]);
  });
});
