/**
 * Layer unpacking as root: exactness against what GNU tar archived, the
 * overlayfs form of whiteouts (checked by mounting an overlay in a private
 * mount namespace), compression, errors, and one crafted tarball per attack
 * from design.md's list, each checking that nothing next to the layer
 * directory was created, changed or deleted.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { assertNoLeaks, type Snapshot, snapshot as leakSnapshot } from '../helpers/leaks.js';
import { chunked, type CraftEntry, craftTar } from '../helpers/tar-craft.js';
import { MobyDickError } from '../../src/errors.js';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { unpackLayer, unpackLayerFile } from '../../src/images/unpack/unpack-layer.js';

const DIGEST = 'sha256:mdk-test-layer';
const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');

let tmp: string;
let layer: string;
let sentinel: string;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mdk-test-unpack-'));
  layer = join(tmp, 'layer');
  sentinel = join(tmp, 'sentinel');
  mkdirSync(join(sentinel, 'sub'), { recursive: true });
  writeFileSync(join(sentinel, 'secret'), 'secret', { mode: 0o600 });
  writeFileSync(join(sentinel, 'sub', 'file'), 'file');
  symlinkSync('secret', join(sentinel, 'link'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

let leaks: Snapshot;
before(() => {
  leaks = leakSnapshot();
});
after(async () => {
  await assertNoLeaks(leaks);
});

const unpack = (tar: Buffer, chunk = 65536) => unpackLayer(chunked(tar, chunk), layer, { layerDigest: DIGEST });

/** every path under DIR with its lstat, content or target, and xattrs */
function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (p: string, rel: string) => {
    const st = lstatSync(p, { bigint: true });
    let what = '';
    if (st.isFile()) what = readFileSync(p).toString('hex');
    else if (st.isSymbolicLink()) what = readlinkSync(p);
    lines.push(`${rel} ${st.mode} ${st.uid}:${st.gid} ${st.nlink} ${st.ino} ${st.mtimeNs} ${st.ctimeNs} ${what}`);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n), `${rel}/${n}`);
  };
  walk(dir, '.');
  lines.push(xattrs(dir));
  return lines.join('\n');
}

/** all xattrs under DIR (symlinks not followed), one python3 run */
function xattrs(dir: string): string {
  return execFileSync('python3', [
    '-c',
    `import os, sys
for root, dirs, files in os.walk(sys.argv[1]):
    for n in sorted(dirs + files + ['.']):
        p = os.path.join(root, n)
        for k in sorted(os.listxattr(p, follow_symlinks=False)):
            print(p, k, os.getxattr(p, k, follow_symlinks=False).hex())`,
    dir,
  ]).toString();
}

function xattr(path: string, name: string): Buffer | undefined {
  const out = execFileSync('python3', [
    '-c',
    `import os, sys
try: print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())
except OSError: print('-')`,
    path,
    name,
  ])
    .toString()
    .trim();
  return out === '-' ? undefined : Buffer.from(out, 'hex');
}

/**
 * Runs ATTACK (which unpacks something) and checks that the sentinel and
 * the directory around the layer are exactly as before. Returns the error
 * the unpack threw, if any (attacks may be refused or land inside).
 */
async function attack(entries: CraftEntry[]): Promise<MobyDickError | undefined> {
  const before = snapshot(sentinel);
  const around = readdirSync(tmp).sort();
  let error: MobyDickError | undefined;
  try {
    await unpack(craftTar(entries));
  } catch (e) {
    assert.ok(e instanceof MobyDickError, String(e));
    error = e;
  }
  assert.equal(snapshot(sentinel), before, 'the sentinel next to the layer changed');
  assert.deepEqual(readdirSync(tmp).sort(), [...new Set([...around, 'layer'])].sort());
  assert.equal(readFileSync(join(sentinel, 'secret'), 'utf8'), 'secret');
  return error;
}

const inLayer = (...p: string[]) => join(layer, ...p);
/** the sentinel's absolute path as an entry name inside the layer */
const sentinelInLayer = (...p: string[]) => join(layer, sentinel, ...p);

describe('unpack: exact', () => {
  test('owners, modes, hardlinks, symlinks, devices, fifos, xattrs and mtimes as GNU tar archived them', async () => {
    const src = join(tmp, 'src');
    mkdirSync(join(src, 'sticky'), { recursive: true });
    mkdirSync(join(src, 'setgid-dir'));
    mkdirSync(join(src, 'deep/er/est'), { recursive: true });
    writeFileSync(join(src, 'suid'), 'suid binary');
    writeFileSync(join(src, 'deep/er/est/big'), Buffer.alloc(3_000_000, 'z'));
    writeFileSync(join(src, 'empty'), '');
    linkSync(join(src, 'suid'), join(src, 'hard'));
    symlinkSync('/etc/passwd', join(src, 'abs-link'));
    symlinkSync('../../suid', join(src, 'deep/er/rel-link'));
    const sys = nativeAddon();
    const fd = openSync(src, constants.O_RDONLY | constants.O_DIRECTORY);
    sys.mknodAt(fd, Buffer.from('fifo'), 0o010640, 0, 0);
    sys.mknodAt(fd, Buffer.from('null'), 0o020666, 1, 3);
    sys.mknodAt(fd, Buffer.from('loop'), 0o060660, 7, 0);
    closeSync(fd);
    execFileSync('sh', [
      '-c',
      `cd ${src} && chown 1234:5678 suid && chmod 6755 suid && chmod 1777 sticky && chown 42:43 setgid-dir &&
       chmod 2750 setgid-dir && chmod 666 null && chown -h 7:8 abs-link && chmod 0 empty`,
    ]);
    execFileSync('python3', [
      '-c',
      `import os
os.setxattr('${src}/suid', 'security.capability', bytes.fromhex('${CAP.toString('hex')}'))
os.setxattr('${src}/suid', 'user.bin', bytes([0, 255, 10, 200]))
os.setxattr('${src}/sticky', 'trusted.x', b'dir')
for p, ns in (('suid', 1600000000123456789), ('deep/er', 1500000000000000001), ('sticky', 1400000000999999999), ('.', 1300000000000000000), ('abs-link', 1200000000500000000), ('fifo', 1100000000)):
    os.utime('${src}/' + p, ns=(ns, ns), follow_symlinks=False)`,
    ]);
    const tarFile = join(tmp, 'src.tar');
    execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-cf', tarFile, '-C', src, '.']);
    const r = await unpack(readFileSync(tarFile), 10000);
    assert.equal(r.entries, 15);
    assert.equal(r.fileBytes, 3_000_000 + 11);

    const walk = (root: string) => {
      const out: Record<string, unknown> = {};
      const go = (rel: string) => {
        const p = join(root, rel);
        const st = lstatSync(p, { bigint: true });
        out[rel] = {
          mode: st.mode.toString(8),
          owner: `${st.uid}:${st.gid}`,
          size: st.isDirectory() ? 0n : st.size,
          rdev: st.rdev,
          nlink: st.nlink,
          mtime: st.mtimeNs,
          target: st.isSymbolicLink() ? readlinkSync(p) : undefined,
          content: st.isFile() ? readFileSync(p).toString('hex').slice(0, 64) : undefined,
        };
        if (st.isDirectory()) for (const n of readdirSync(p)) go(rel === '.' ? n : `${rel}/${n}`);
      };
      go('.');
      return out;
    };
    assert.deepEqual(walk(layer), walk(src));
    assert.equal(lstatSync(inLayer('hard')).ino, lstatSync(inLayer('suid')).ino);
    assert.ok(xattr(inLayer('suid'), 'security.capability')!.equals(CAP));
    assert.ok(xattr(inLayer('suid'), 'user.bin')!.equals(Buffer.from([0, 255, 10, 200])));
    assert.equal(xattr(inLayer('sticky'), 'trusted.x')!.toString(), 'dir');
    assert.equal(lstatSync(inLayer('suid')).mode & 0o7777, 0o6755); // chown before chmod kept the bits
  });

  test('pax times with nanoseconds, atime, and symlink owners from crafted headers', async () => {
    await unpack(
      craftTar([
        { name: 'f', data: 'x', pax: { mtime: '1234567890.000000007', atime: '1234567891.5' } },
        { name: 'l', type: '2', linkname: '/abs/target', uid: 3, gid: 4, pax: { mtime: '10.25' } },
        { name: 'd/', type: '5', mode: 0o3775, pax: { mtime: '99.000000001' } },
        { name: 'd/inner', data: 'y' },
      ]),
    );
    const f = lstatSync(inLayer('f'), { bigint: true });
    assert.equal(f.mtimeNs, 1234567890000000007n);
    assert.equal(f.atimeNs, 1234567891500000000n);
    const l = lstatSync(inLayer('l'), { bigint: true });
    assert.equal(readlinkSync(inLayer('l')), '/abs/target');
    assert.deepEqual([l.uid, l.gid, l.mtimeNs], [3n, 4n, 10250000000n]);
    const d = lstatSync(inLayer('d'), { bigint: true });
    assert.equal(d.mtimeNs, 99000000001n); // set after d/inner was written
    assert.equal(Number(d.mode) & 0o7777, 0o3775);
  });

  test('a later entry replaces an earlier one; a directory stays a directory', async () => {
    await unpack(
      craftTar([
        { name: 'x', data: 'first' },
        { name: 'x', data: 'second' },
        { name: 'd/', type: '5', mode: 0o755 },
        { name: 'd/keep', data: 'k' },
        { name: 'd/', type: '5', mode: 0o700 },
        { name: 'gone/', type: '5' },
        { name: 'gone/f', data: 'f' },
        { name: 'gone', type: '2', linkname: 'x' },
        { name: 'implicit/parents/file', data: 'p' },
      ]),
    );
    assert.equal(readFileSync(inLayer('x'), 'utf8'), 'second');
    assert.equal(readFileSync(inLayer('d/keep'), 'utf8'), 'k');
    assert.equal(lstatSync(inLayer('d')).mode & 0o777, 0o700);
    assert.equal(readlinkSync(inLayer('gone')), 'x');
    assert.equal(lstatSync(inLayer('implicit/parents')).mode & 0o7777, 0o755);
  });
});

describe('unpack: small files are written by a worker thread, in archive order', () => {
  test('later entries of the same name win, by any path; links and whiteouts see the files', async () => {
    await unpack(
      craftTar([
        { name: 'f', data: 'one' },
        { name: 's', type: '2', linkname: '.' },
        { name: 's/f', data: 'two' },
        { name: 'x', data: 'file' },
        { name: 'x', type: '2', linkname: 'f' },
        { name: 'd/', type: '5' },
        { name: 'd/a', data: 'a', mode: 0o4711, uid: 12, gid: 34 },
        { name: 'h', type: '1', linkname: 's/d/a' },
        { name: 'd/.wh.a' },
        { name: 'e' },
        { name: 'e', type: '6' },
      ]),
      1,
    );
    assert.equal(readFileSync(inLayer('f'), 'utf8'), 'two');
    assert.equal(readlinkSync(inLayer('x')), 'f');
    const a = lstatSync(inLayer('d/a'));
    assert.deepEqual([a.mode & 0o7777, a.uid, a.gid, a.nlink], [0o4711, 12, 34, 2]);
    assert.equal(lstatSync(inLayer('h')).ino, a.ino);
    assert.ok(lstatSync(inLayer('e')).isFIFO());
  });

  test('a directory replaced by a file cannot be written through afterwards', async () => {
    await assert.rejects(
      unpack(craftTar([{ name: 'X/', type: '5' }, { name: 'X', data: 'file' }, { name: 'X/y', data: 'y' }])),
      /entry "X\/y".*not a directory/i,
    );
    assert.equal(readFileSync(inLayer('X'), 'utf8'), 'file');
  });

  test('many files across many directories with the parent cache overflowing', async () => {
    const entries: CraftEntry[] = [];
    for (let d = 0; d < 300; d++) {
      entries.push({ name: `d${d}/`, type: '5', mtime: 1000 + d });
      for (let f = 0; f < 5; f++) entries.push({ name: `d${d}/f${f}`, data: `${d}/${f}`, mtime: 2000 + f });
    }
    entries.push({ name: 'd7', type: '2', linkname: 'd8' });
    entries.push({ name: 'd7/f0', data: 'through d7' });
    await unpack(craftTar(entries), 4096);
    assert.equal(readFileSync(inLayer('d299/f4'), 'utf8'), '299/4');
    assert.equal(readFileSync(inLayer('d8/f0'), 'utf8'), 'through d7');
    assert.equal(lstatSync(inLayer('d123')).mtimeMs, 1123000);
    assert.equal(lstatSync(inLayer('d123/f3')).mtimeMs, 2003000);
  });
});

describe('unpack: the worker creates, or finishes files the main thread created', () => {
  // a file in one input chunk, in a directory this unpack made, is created by
  // the worker (with its permission bits if root:root); one across chunks, or
  // in a directory that was there before, is created on the main thread and
  // finished by the worker through its fd
  const modes: CraftEntry[] = [
    { name: 'd/', type: '5' },
    { name: 'd/plain', data: 'p', mode: 0o644 },
    // bits the umask (022) takes away at creation, and setuid/setgid/sticky:
    // only a chmod after the create gives them
    { name: 'd/open', data: 'o', mode: 0o777 },
    { name: 'd/suid', data: 's', mode: 0o4755 },
    { name: 'd/sgid-sticky', data: 'g', mode: 0o3711 },
    { name: 'd/owned', data: 'u', mode: 0o6750, uid: 1234, gid: 5678 },
    { name: 'd/group-only', data: 'g', mode: 0o640, uid: 0, gid: 42 },
    { name: 'd/empty', mode: 0o600, uid: 7, gid: 8 },
  ];
  const bigData = Buffer.alloc(20000, 'b');
  const big: CraftEntry[] = [
    { name: 'd/big', data: bigData, mode: 0o777, mtime: 1234 },
    { name: 'd/big-owned', data: bigData, mode: 0o4750, uid: 99, gid: 98, mtime: 1235 },
  ];

  const check = (entries: CraftEntry[]) => {
    for (const e of entries) {
      if (e.type === '5') continue;
      const name = e.name.toString();
      const st = lstatSync(inLayer(name));
      assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [e.mode, e.uid ?? 0, e.gid ?? 0], name);
      assert.equal(readFileSync(inLayer(name)).toString(), (e.data ?? '').toString(), name);
      if (e.mtime !== undefined) assert.equal(st.mtimeMs, e.mtime * 1000, name);
    }
  };

  test('modes, owners and data, in one chunk or across many (4 KiB chunks)', async () => {
    await unpack(craftTar([...modes, ...big]), 4096);
    check([...modes, ...big]);
  });

  test('the same into a directory that was not empty (nothing is fresh: every file created on the main thread)', async () => {
    mkdirSync(join(layer, 'd'), { recursive: true });
    writeFileSync(join(layer, 'd', 'plain'), 'before');
    await unpack(craftTar([...modes, ...big]), 4096);
    check([...modes, ...big]);
  });

  test('a file across chunks, then a link to it and an entry replacing it: archive order', async () => {
    await unpack(
      craftTar([
        { name: 'a', data: bigData, mode: 0o600 },
        { name: 'b', type: '1', linkname: 'a' },
        { name: 'a', data: 'small', mode: 0o644 },
        { name: 'c', data: 'c' },
        { name: 'c', data: bigData, mode: 0o640 },
      ]),
      4096,
    );
    assert.equal(readFileSync(inLayer('a'), 'utf8'), 'small');
    assert.deepEqual(readFileSync(inLayer('b')), bigData);
    assert.equal(lstatSync(inLayer('b')).mode & 0o7777, 0o600);
    assert.deepEqual(readFileSync(inLayer('c')), bigData);
  });

  test('names with empty, "." and trailing-slash components land where their cleaned name says', async () => {
    await unpack(
      craftTar([
        { name: 'a//b', data: 'ab' },
        { name: './x/./y', data: 'xy' },
        { name: '...', data: 'dots' },
        { name: 'p/q/', type: '5', mode: 0o750 },
        { name: 'p//q//r', data: 'r' },
      ]),
    );
    assert.equal(readFileSync(inLayer('a', 'b'), 'utf8'), 'ab');
    assert.equal(readFileSync(inLayer('x', 'y'), 'utf8'), 'xy');
    assert.equal(readFileSync(inLayer('...'), 'utf8'), 'dots');
    assert.equal(lstatSync(inLayer('p', 'q')).mode & 0o777, 0o750);
    assert.equal(readFileSync(inLayer('p', 'q', 'r'), 'utf8'), 'r');
  });
});

describe('unpack: whiteouts in the overlayfs form', () => {
  test('.wh.NAME is a 0/0 character device, .wh..wh..opq an opaque xattr, aufs metadata skipped', async () => {
    await unpack(
      craftTar([
        { name: 'dir/', type: '5' },
        { name: 'dir/.wh..wh..opq' },
        { name: 'dir/new', data: 'n' },
        { name: '.wh.gone', uid: 5, gid: 6 },
        { name: 'sub/.wh.file' },
        { name: '.wh..wh.plnk/', type: '5' },
        { name: '.wh..wh.plnk/123', data: 'aufs' },
        { name: '.wh..wh.aufs' },
        { name: 'same', data: 'stays' },
        { name: '.wh.same' },
      ]),
    );
    for (const p of ['gone', 'sub/file']) {
      const st = lstatSync(inLayer(p));
      assert.ok(st.isCharacterDevice(), p);
      assert.equal(st.rdev, 0);
    }
    assert.deepEqual([lstatSync(inLayer('gone')).uid, lstatSync(inLayer('gone')).gid], [5, 6]);
    assert.equal(xattr(inLayer('dir'), 'trusted.overlay.opaque')!.toString(), 'y');
    assert.ok(!existsSync(inLayer('.wh..wh.plnk')));
    assert.ok(!existsSync(inLayer('.wh..wh.aufs')));
    assert.ok(!existsSync(inLayer('.wh.gone')));
    assert.equal(readFileSync(inLayer('same'), 'utf8'), 'stays');
  });

  test('overlayfs reads them: a whited-out file and an opaque directory hide the lower layer', async () => {
    const lower = join(tmp, 'lower');
    await unpackLayer(
      chunked(craftTar([{ name: 'a', data: 'a' }, { name: 'b', data: 'b' }, { name: 'd/', type: '5' }, { name: 'd/old', data: 'o' }])),
      lower,
      { layerDigest: DIGEST },
    );
    await unpack(craftTar([{ name: '.wh.a' }, { name: 'd/', type: '5' }, { name: 'd/.wh..wh..opq' }, { name: 'd/new', data: 'n' }]));
    const merged = join(tmp, 'merged');
    mkdirSync(merged);
    // a private mount namespace: the mount goes away with the shell
    const seen = execFileSync('unshare', [
      '-m',
      'sh',
      '-c',
      `mount -t overlay mdk-test-overlay -o lowerdir=${layer}:${lower} ${merged} && cd ${merged} && ls -A . d`,
    ]).toString();
    assert.equal(seen, '.:\nb\nd\n\nd:\nnew\n');
  });

  test('a whiteout that names nothing is refused', async () => {
    await assert.rejects(unpack(craftTar([{ name: 'x/.wh.' }])), /whiteout "x\/\.wh\." names no file/);
    await assert.rejects(unpack(craftTar([{ name: '.wh..' }])), /names no file/);
  });
});

describe('unpack: compression and errors', () => {
  const tar = craftTar([{ name: 'hello', data: 'world' }]);

  test('gzip and zstd are recognised by their first bytes', async () => {
    const gz = gzipSync(tar);
    const r = await unpack(gz, 7);
    assert.equal(r.bytes, tar.length);
    assert.equal(readFileSync(inLayer('hello'), 'utf8'), 'world');
    rmSync(layer, { recursive: true });
    const zst = execFileSync('zstd', ['-c', '-q'], { input: tar });
    await unpack(zst, 5);
    assert.equal(readFileSync(inLayer('hello'), 'utf8'), 'world');
  });

  test('a corrupt gzip stream names the layer', async () => {
    const gz = gzipSync(tar);
    gz[gz.length - 12] = gz[gz.length - 12]! ^ 0xff;
    await assert.rejects(unpack(gz), (e: unknown) => {
      assert.ok(e instanceof MobyDickError);
      assert.match(e.message, /^layer sha256:mdk-test-layer: /);
      return true;
    });
  });

  test('an unknown media type is refused', async () => {
    await assert.rejects(
      unpackLayer(chunked(tar), layer, { layerDigest: DIGEST, mediaType: 'application/vnd.example.squashfs' }),
      /unsupported layer media type/,
    );
  });

  test('a failure midway names the layer and the entry, and the partial directory can be removed', async () => {
    const err = await attack([
      { name: 'locked/', type: '5', mode: 0o000 },
      { name: 'locked/f', data: 'x', mode: 0o000 },
      { name: 'ro/', type: '5', mode: 0o555 },
      { name: 'ro/f', data: 'x', mode: 0o400 },
      { name: 'ro/fifo', type: '6', mode: 0 },
      { name: 'ro/.wh.' },
      { name: 'never', data: 'x' },
    ]);
    assert.ok(err);
    assert.match(err.message, /^layer sha256:mdk-test-layer: entry "ro\/\.wh\." \(at byte \d+\): whiteout/);
    assert.equal(err.details.subject, 'ro/.wh.');
    assert.ok(!existsSync(inLayer('never')));
    rmSync(layer, { recursive: true });
    assert.ok(!existsSync(layer));
  });

  test('a truncated layer names the entry it ends in', async () => {
    const big = craftTar([{ name: 'big', data: Buffer.alloc(5000) }]);
    await assert.rejects(unpack(big.subarray(0, 3000)), /^MobyDickError: layer sha256:mdk-test-layer: .*"big"/);
  });
});

describe('unpack: from a file (unpackLayerFile, mapped)', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  test('a 37 MiB layer on two writer threads: every file exact, GNU long names, files across chunks and batches; OBSERVE sees every byte', async () => {
    // the pieces of a file larger than a chunk come in several batches: they
    // must all go to one thread, in order (what a machine with one core
    // would not show, so two are asked for)
    nativeAddon().fileWorkers(2);
    const entries: CraftEntry[] = [];
    const want = new Map<string, { data: Buffer; mode: number }>();
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 700; i++) {
      if (i % 50 === 0) entries.push({ name: `d${i / 50}/`, type: '5', mode: 0o755 });
      const dir = `d${Math.floor(i / 50)}`;
      const name = i % 7 === 0 ? `${dir}/${'long-'.repeat(30)}${i}` : `${dir}/f${i}`;
      const data = randomBytes(i % 40 === 3 ? 1_300_000 + rand(100_000) : rand(60_000));
      const mode = i % 3 === 0 ? 0o640 : 0o755;
      if (name.length > 99) entries.push({ name: '././@LongLink', type: 'L', data: `${name}\0`, magic: 'gnu' });
      entries.push({ name: name.slice(0, 99), data, mode, magic: i % 7 === 0 ? 'gnu' : 'posix' });
      want.set(name, { data, mode });
    }
    // record padding after the end-of-archive blocks: read and shown, not parsed
    const tar = Buffer.concat([craftTar(entries), Buffer.alloc(10240)]);
    assert.ok(tar.length > 36 << 20);
    const file = join(tmp, 'layer.tar');
    writeFileSync(file, tar);
    const seen = createHash('sha256');
    let seenBytes = 0;
    const r = await unpackLayerFile(file, layer, {
      layerDigest: DIGEST,
      observe: (c) => {
        seen.update(c);
        seenBytes += c.length;
      },
    });
    assert.equal(r.bytes, tar.length);
    assert.equal(seenBytes, tar.length);
    assert.equal(seen.digest('hex'), sha(tar));
    assert.equal(r.entries, 700 + 14);
    for (const [name, { data, mode }] of want) {
      const got = readFileSync(inLayer(name));
      assert.equal(got.length, data.length, name);
      assert.ok(got.equals(data), `${name}: content differs`);
      assert.equal(lstatSync(inLayer(name)).mode & 0o7777, mode, name);
    }
    assert.equal(readdirSync(layer).length, 14);
  });

  test('a gzip layer file is streamed: OBSERVE sees the uncompressed tar', async () => {
    const tar = craftTar([{ name: 'hello', data: 'world' }]);
    const file = join(tmp, 'layer.tar.gz');
    writeFileSync(file, gzipSync(tar));
    const seen: Buffer[] = [];
    const r = await unpackLayerFile(file, layer, { layerDigest: DIGEST, observe: (c) => seen.push(Buffer.from(c)) });
    assert.equal(r.bytes, tar.length);
    assert.ok(Buffer.concat(seen).equals(tar));
    assert.equal(readFileSync(inLayer('hello'), 'utf8'), 'world');
  });

  test('three layers at once (as a pull unpacks them) on two writer threads: files across chunks stay whole', async () => {
    // each unpack leaves a file open across its batches; the pieces of each
    // must reach the thread that has the file's first ones, whatever the
    // other unpacks queued in between
    nativeAddon().fileWorkers(2);
    let seed = 777;
    const layers = [0, 1, 2].map((n) => {
      const files = new Map<string, Buffer>();
      const entries: CraftEntry[] = [{ name: 'd/', type: '5', mode: 0o755 }];
      for (let i = 0; i < 40; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const data = randomBytes(i % 4 === 0 ? 200_000 + (seed % 50_000) : seed % 9_000);
        files.set(`d/l${n}-f${i}`, data);
        entries.push({ name: `d/l${n}-f${i}`, data, mode: 0o644 });
      }
      return { dir: join(tmp, `mdk-test-layer${n}`), files, tar: craftTar(entries) };
    });
    const results = await Promise.all(
      layers.map((l, n) => unpackLayer(chunked(l.tar, 16_384 + n * 4096), l.dir, { layerDigest: `${DIGEST}${n}` })),
    );
    results.forEach((r, n) => assert.equal(r.entries, 41, `layer ${n}`));
    for (const l of layers) {
      for (const [name, data] of l.files) assert.ok(readFileSync(join(l.dir, name)).equals(data), `${l.dir}/${name}: content differs`);
    }
  });

  test('an empty file (nothing to map) is an empty layer', async () => {
    const file = join(tmp, 'empty.tar');
    writeFileSync(file, '');
    const r = await unpackLayerFile(file, layer, { layerDigest: DIGEST });
    assert.deepEqual([r.entries, r.bytes], [0, 0]);
    assert.deepEqual(readdirSync(layer), []);
  });

  test('a fifo is streamed', async () => {
    const tar = craftTar([{ name: 'piped', data: 'through a fifo' }]);
    const fifo = join(tmp, 'mdk-test-fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = new Promise<void>((resolve, reject) =>
      execFile('sh', ['-c', 'cat >"$1"', 'sh', fifo], (e) => (e ? reject(e) : resolve())).stdin!.end(tar),
    );
    const r = await unpackLayerFile(fifo, layer, { layerDigest: DIGEST });
    await writer;
    assert.equal(r.bytes, tar.length);
    assert.equal(readFileSync(inLayer('piped'), 'utf8'), 'through a fifo');
  });

  test('a missing file, and a failure midway, name the layer', async () => {
    await assert.rejects(unpackLayerFile(join(tmp, 'mdk-test-missing.tar'), layer, { layerDigest: DIGEST }), (e: unknown) => {
      assert.ok(e instanceof MobyDickError);
      assert.equal(e.code, 'ARCHIVE');
      assert.match(e.message, /^layer sha256:mdk-test-layer: cannot open .*mdk-test-missing\.tar: ENOENT/);
      return true;
    });
    const file = join(tmp, 'bad.tar');
    writeFileSync(file, craftTar([{ name: 'ok', data: 'x' }, { name: 'ro/', type: '5', mode: 0o555 }, { name: 'ro/.wh.' }, { name: 'never', data: 'x' }]));
    await assert.rejects(unpackLayerFile(file, layer, { layerDigest: DIGEST }), /^MobyDickError: layer sha256:mdk-test-layer: entry "ro\/\.wh\." \(at byte \d+\): whiteout/);
    assert.equal(readFileSync(inLayer('ok'), 'utf8'), 'x');
    assert.ok(!existsSync(inLayer('never')));
  });

  test('a truncated layer file names the entry it ends in', async () => {
    const file = join(tmp, 'cut.tar');
    writeFileSync(file, craftTar([{ name: 'big', data: Buffer.alloc(3 << 20) }]).subarray(0, 2 << 20));
    await assert.rejects(unpackLayerFile(file, layer, { layerDigest: DIGEST }), /^MobyDickError: layer sha256:mdk-test-layer: .*"big"/);
  });
});

describe('unpack: attacks (nothing outside the layer directory changes)', () => {
  test('".." names land inside the layer', async () => {
    const err = await attack([
      { name: '../sentinel/secret', data: 'pwned' },
      { name: `${'../'.repeat(20)}${sentinel.slice(1)}/new`, data: 'pwned' },
      { name: 'a/../../sentinel/sub/file', data: 'pwned' },
      { name: '../sentinel/.wh.secret2' },
    ]);
    assert.equal(err, undefined);
    assert.equal(readFileSync(inLayer('sentinel/secret'), 'utf8'), 'pwned');
    assert.equal(readFileSync(sentinelInLayer('new'), 'utf8'), 'pwned');
    assert.equal(readFileSync(inLayer('sentinel/sub/file'), 'utf8'), 'pwned');
  });

  test('absolute names land inside the layer', async () => {
    const err = await attack([
      { name: `${sentinel}/secret`, data: 'pwned' },
      { name: `${sentinel}/sub/`, type: '5', mode: 0o777 },
      { name: '/abs', type: '2', linkname: sentinel },
    ]);
    assert.equal(err, undefined);
    assert.equal(readFileSync(sentinelInLayer('secret'), 'utf8'), 'pwned');
    assert.equal(readlinkSync(inLayer('abs')), sentinel);
  });

  test('names through a symlink the layer made (relative target) resolve inside the layer', async () => {
    const err = await attack([
      { name: 'rel', type: '2', linkname: '../sentinel' },
      { name: 'sentinel/', type: '5' },
      { name: 'rel/secret', data: 'pwned' },
      { name: 'x/y/up', type: '2', linkname: '../../../../../..' },
      { name: `x/y/up${sentinel}/`, type: '5' },
      { name: `x/y/up${sentinel}/secret`, data: 'pwned' },
      { name: 'rel/newdir/', type: '5' },
    ]);
    assert.equal(err, undefined);
    assert.equal(readlinkSync(inLayer('rel')), '../sentinel');
    assert.equal(readFileSync(inLayer('sentinel/secret'), 'utf8'), 'pwned');
    assert.equal(readFileSync(sentinelInLayer('secret'), 'utf8'), 'pwned');
    assert.ok(lstatSync(inLayer('sentinel/newdir')).isDirectory());
  });

  test('names through a symlink the layer made (absolute target) resolve inside the layer, or are refused', async () => {
    const err = await attack([
      { name: 'abs', type: '2', linkname: sentinel },
      { name: `${sentinel}/`, type: '5' },
      { name: 'abs/secret', data: 'pwned' },
      { name: 'abs/link', type: '2', linkname: '/etc/shadow' },
      { name: 'abs/sub/', type: '5', mode: 0o777, uid: 1000 },
    ]);
    assert.equal(err, undefined);
    assert.equal(readlinkSync(inLayer('abs')), sentinel); // the target is kept as it is
    assert.equal(readFileSync(sentinelInLayer('secret'), 'utf8'), 'pwned');
    assert.equal(readlinkSync(sentinelInLayer('link')), '/etc/shadow');
    // without the target in the layer, the symlink dangles there: refused
    rmSync(layer, { recursive: true });
    const dangling = await attack([
      { name: 'abs', type: '2', linkname: sentinel },
      { name: 'abs/secret', data: 'pwned' },
    ]);
    assert.match(dangling!.message, /entry "abs\/secret"/);
  });

  test('a symlink as the last component is replaced, never written, chowned or chmodded through', async () => {
    const err = await attack([
      { name: 'f', type: '2', linkname: `${sentinel}/secret` },
      { name: 'f', data: 'pwned', mode: 0o777 },
      { name: 'c', type: '2', linkname: `${sentinel}/secret`, uid: 1234, mode: 0o777 },
      { name: 'g', type: '2', linkname: `${sentinel}/sub` },
      { name: 'g/', type: '5', mode: 0o777 },
      { name: 'n', type: '2', linkname: `${sentinel}/secret` },
      { name: 'n', type: '6' },
      { name: 'h', type: '2', linkname: `${sentinel}/secret` },
      { name: 'h', type: '1', linkname: 'f' },
      { name: 'x', type: '2', linkname: `${sentinel}/secret`, pax: { 'SCHILY.xattr.trusted.evil': 'x' } },
    ]);
    assert.equal(err, undefined);
    assert.equal(readFileSync(inLayer('f'), 'utf8'), 'pwned');
    assert.ok(lstatSync(inLayer('g')).isDirectory());
    assert.ok(lstatSync(inLayer('n')).isFIFO());
    assert.equal(lstatSync(inLayer('h')).ino, lstatSync(inLayer('f')).ino);
    assert.equal(lstatSync(inLayer('c')).uid, 1234);
    assert.equal(xattr(inLayer('x'), 'trusted.evil')!.toString(), 'x');
  });

  test('a hard link to outside by ".." is refused (its target is looked up inside the layer)', async () => {
    const err = await attack([{ name: 'hl', type: '1', linkname: '../sentinel/secret' }]);
    assert.match(err!.message, /entry "hl".*ENOENT|no such file/i);
    // with a file of that name in the layer, the link is to that file
    rmSync(layer, { recursive: true });
    await attack([
      { name: 'sentinel/secret', data: 'mine' },
      { name: 'hl', type: '1', linkname: '../sentinel/secret' },
    ]);
    assert.equal(lstatSync(inLayer('hl')).ino, lstatSync(inLayer('sentinel/secret')).ino);
  });

  test('a hard link to outside through a symlink, or by an absolute name, is refused', async () => {
    for (const entries of [
      [
        { name: 's', type: '2', linkname: sentinel },
        { name: 'hl', type: '1', linkname: 's/secret' },
      ],
      [
        { name: 's', type: '2', linkname: '../sentinel' },
        { name: 'hl', type: '1', linkname: 's/secret' },
      ],
      [{ name: 'hl', type: '1', linkname: `${sentinel}/secret` }],
    ] satisfies CraftEntry[][]) {
      rmSync(layer, { recursive: true, force: true });
      const err = await attack(entries);
      assert.ok(err, JSON.stringify(entries));
      assert.match(err.message, /entry "hl"/);
      assert.equal(lstatSync(join(sentinel, 'secret')).nlink, 1);
    }
  });

  test('a hard link to a symlink links the symlink itself', async () => {
    const err = await attack([
      { name: 'l', type: '2', linkname: `${sentinel}/secret` },
      { name: 'hl', type: '1', linkname: 'l' },
    ]);
    assert.equal(err, undefined);
    assert.ok(lstatSync(inLayer('hl')).isSymbolicLink());
    assert.equal(lstatSync(inLayer('hl')).ino, lstatSync(inLayer('l')).ino);
  });

  test('whiteouts through a symlink land inside the layer', async () => {
    const err = await attack([
      { name: 'w', type: '2', linkname: sentinel },
      { name: `${sentinel}/`, type: '5' },
      { name: 'w/.wh.secret' },
      { name: 'w/.wh..wh..opq' },
      { name: 'r', type: '2', linkname: '../sentinel' },
      { name: 'sentinel/', type: '5' },
      { name: 'r/.wh.sub' },
      { name: '../.wh.sentinel' },
    ]);
    assert.equal(err, undefined);
    assert.ok(lstatSync(sentinelInLayer('secret')).isCharacterDevice());
    assert.equal(xattr(sentinelInLayer(), 'trusted.overlay.opaque')!.toString(), 'y');
    assert.equal(xattr(sentinel, 'trusted.overlay.opaque'), undefined);
    assert.ok(lstatSync(inLayer('sentinel/sub')).isCharacterDevice());
    // the whiteout of "sentinel" at the root met the directory r/ made: it stays
    assert.ok(lstatSync(inLayer('sentinel')).isDirectory());
  });

  test('a whiteout through a dangling symlink is refused', async () => {
    const err = await attack([
      { name: 'w', type: '2', linkname: sentinel },
      { name: 'w/.wh.secret' },
    ]);
    assert.match(err!.message, /entry "w\/\.wh\.secret"/);
  });

  test('a symlink replacing a directory, then writes through it', async () => {
    const err = await attack([
      { name: `${sentinel}/`, type: '5' },
      { name: 'd/', type: '5' },
      { name: 'd/f', data: 'f' },
      { name: 'd', type: '2', linkname: sentinel },
      { name: 'd/secret', data: 'pwned' },
      { name: 'd/.wh.sub' },
      { name: 'd/new/', type: '5' },
      { name: 'e/', type: '5' },
      { name: 'sentinel/', type: '5' },
      { name: 'e', type: '2', linkname: '../../sentinel' },
      { name: 'e/secret', data: 'pwned too' },
    ]);
    assert.equal(err, undefined);
    assert.equal(readlinkSync(inLayer('d')), sentinel);
    assert.equal(readFileSync(sentinelInLayer('secret'), 'utf8'), 'pwned');
    assert.ok(lstatSync(sentinelInLayer('sub')).isCharacterDevice());
    assert.ok(lstatSync(sentinelInLayer('new')).isDirectory());
    assert.equal(readFileSync(inLayer('sentinel/secret'), 'utf8'), 'pwned too');
  });

  test('names with NUL, ".", ".." and "/" only', async () => {
    const err = await attack([
      { name: '.', type: '5', mode: 0o755 },
      { name: '..', type: '5', mode: 0o755 },
      { name: '/', type: '5', mode: 0o755 },
      { name: '..', data: 'x' },
    ]);
    assert.match(err!.message, /a file entry names the layer root/);
  });
});
