import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, linkSync, lstatSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chunked, craftEntry, craftTar, paxBody } from '../../../test/helpers/tar-craft.js';
import { MobyDickError } from '../../errors.js';
import { nativeAddon } from '../../helper/native-addon.js';
import { openTarReader, readBody, type TarHeader, TarParser } from './tar-reader.js';

interface Read {
  header: TarHeader;
  data: Buffer;
}

async function readAll(input: AsyncIterable<Buffer>): Promise<Read[]> {
  const out: Read[] = [];
  for await (const e of openTarReader(input)) out.push({ header: e.header, data: await readBody(e) });
  return out;
}

/** the same archive through the push parser, fed one byte at a time */
function parseBytewise(buf: Buffer): Read[] {
  const out: Read[] = [];
  let parts: Buffer[] = [];
  const p = new TarParser({
    entry: (header) => {
      parts = [];
      out.push({ header, data: Buffer.alloc(0) });
    },
    data: (c) => parts.push(Buffer.from(c)),
    end: () => {
      out[out.length - 1]!.data = Buffer.concat(parts);
    },
  });
  for (let i = 0; i < buf.length; i++) p.write(buf.subarray(i, i + 1));
  p.finish();
  return out;
}

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_bind_service=ep, v2

describe('tar reader on crafted archives', () => {
  test('ustar name with prefix, file data across chunk boundaries, types and device numbers', async () => {
    const data = Buffer.alloc(70000, 0x61);
    const tar = craftTar([
      { name: 'file', prefix: 'a/b', data, mode: 0o4755, uid: 1000, gid: 1001, uname: 'u', gname: 'g' },
      { name: 'dir/', type: '5', mode: 0o1777 },
      { name: 'sym', type: '2', linkname: '/etc/passwd' },
      { name: 'hard', type: '1', linkname: 'a/b/file' },
      { name: 'null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'loop', type: '4', devmajor: 7, devminor: 0 },
      { name: 'fifo', type: '6' },
      { name: 'old-dir/', type: '\u0000', magic: 'v7' },
    ]);
    for (const entries of [await readAll(chunked(tar, 1000)), parseBytewise(tar)]) {
      assert.deepEqual(
        entries.map((e) => [e.header.name, e.header.type, e.header.size]),
        [
          ['a/b/file', 'file', 70000],
          ['dir/', 'directory', 0],
          ['sym', 'symlink', 0],
          ['hard', 'hardlink', 0],
          ['null', 'char', 0],
          ['loop', 'block', 0],
          ['fifo', 'fifo', 0],
          ['old-dir/', 'directory', 0],
        ],
      );
      const [file, dir, sym, hard, dev] = entries;
      assert.ok(file!.data.equals(data));
      assert.equal(file!.header.mode, 0o4755);
      assert.deepEqual([file!.header.uid, file!.header.gid], [1000, 1001]); // by number: the names 'u' and 'g' are not read
      assert.deepEqual(file!.header.mtime, { sec: 1700000000, nsec: 0 });
      assert.equal(dir!.header.mode, 0o1777);
      assert.equal(sym!.header.linkname, '/etc/passwd');
      assert.equal(hard!.header.linkname, 'a/b/file');
      assert.deepEqual([dev!.header.devmajor, dev!.header.devminor], [1, 3]);
      assert.equal(entries[1]!.header.offset, 512 + 70144);
    }
  });

  test('GNU long names and link names (L, K)', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(200)}`;
    const target = `/${'t'.repeat(300)}`;
    const tar = craftTar([
      { name: '././@LongLink', type: 'L', data: `${long}\u0000`, magic: 'gnu' },
      { name: '././@LongLink', type: 'K', data: `${target}\u0000`, magic: 'gnu' },
      { name: long.slice(0, 100), type: '2', linkname: target.slice(0, 100), magic: 'gnu' },
      { name: 'short', magic: 'gnu', data: 'x' },
    ]);
    const [e, short] = await readAll(chunked(tar, 7));
    assert.equal(e!.header.name, long);
    assert.equal(e!.header.linkname, target);
    assert.equal(e!.header.offset, 0);
    assert.equal(short!.header.name, 'short'); // the long name applied to one entry only
    assert.equal(short!.header.linkname, '');
  });

  test('pax extended headers: path, linkpath, size, ids, names, fractional and negative times, xattrs as bytes', async () => {
    const binary = Buffer.from([0x00, 0xff, 0x0a, 0x3d, 0x20, 0xc3, 0x28]); // NUL, invalid UTF-8, '\n', '=', ' '
    const tar = craftTar([
      {
        name: 'short-name',
        data: 'hello',
        pax: {
          path: 'ü/long/path/é',
          size: '5',
          uid: '4294967294',
          gid: '3000000',
          uname: 'ünï',
          gname: 'grp',
          mtime: '1700000000.123456789',
          atime: '-1.25',
          'SCHILY.xattr.security.capability': CAP,
          'SCHILY.xattr.user.bin': binary,
          'LIBARCHIVE.xattr.user.with%20space': Buffer.from(binary).toString('base64'),
        },
      },
      { name: 'l', type: '2', linkname: 'short', pax: { linkpath: `/${'x'.repeat(500)}` } },
    ]);
    const [f, l] = await readAll(chunked(tar, 3));
    const h = f!.header;
    assert.equal(h.name, 'ü/long/path/é');
    assert.ok(h.nameBytes.equals(Buffer.from('ü/long/path/é')));
    assert.equal(f!.data.toString(), 'hello');
    assert.deepEqual([h.uid, h.gid], [4294967294, 3000000]); // uname and gname records are skipped
    assert.deepEqual(h.mtime, { sec: 1700000000, nsec: 123456789 });
    assert.deepEqual(h.atime, { sec: -2, nsec: 750000000 });
    assert.ok(h.xattrs.get('security.capability')!.equals(CAP));
    assert.ok(h.xattrs.get('user.bin')!.equals(binary));
    assert.ok(h.xattrs.get('user.with space')!.equals(binary));
    assert.equal(l!.header.linkname, `/${'x'.repeat(500)}`);
    assert.equal(l!.header.xattrs.size, 0); // x applies to the next entry only
  });

  test('pax global headers apply to every later entry; x overrides and an empty value removes', async () => {
    const g = paxBody({ uid: '77', 'SCHILY.xattr.user.g': 'global', mtime: '5.5' });
    const tar = Buffer.concat([
      craftEntry({ name: 'pax_global_header', type: 'g', data: g }),
      craftEntry({ name: 'a', uid: 1 }),
      craftEntry({ name: 'b', pax: { uid: '88', mtime: '' } }),
      Buffer.alloc(1024),
    ]);
    const [a, b] = await readAll(chunked(tar));
    assert.equal(a!.header.uid, 77);
    assert.deepEqual(a!.header.mtime, { sec: 5, nsec: 500000000 });
    assert.equal(a!.header.xattrs.get('user.g')!.toString(), 'global');
    assert.equal(b!.header.uid, 88);
    assert.deepEqual(b!.header.mtime, { sec: 1700000000, nsec: 0 });
    assert.equal(b!.header.xattrs.get('user.g')!.toString(), 'global');
  });

  test('GNU base-256 numbers', async () => {
    const tar = craftTar([{ name: 'big', size: 0, uid: 2 ** 40, mtime: 2 ** 36, base256: ['uid', 'mtime'] }]);
    const [e] = await readAll(chunked(tar));
    assert.equal(e!.header.uid, 2 ** 40);
    assert.equal(e!.header.mtime.sec, 2 ** 36);
  });

  test('a body not read is skipped', async () => {
    const tar = craftTar([
      { name: 'a', data: Buffer.alloc(3000, 1) },
      { name: 'b', data: 'bee' },
    ]);
    const names: string[] = [];
    let b = '';
    for await (const e of openTarReader(chunked(tar, 100))) {
      names.push(e.header.name);
      if (e.header.name === 'b') b = (await readBody(e)).toString();
    }
    assert.deepEqual(names, ['a', 'b']);
    assert.equal(b, 'bee');
  });

  test('no end-of-archive marker is accepted; data after it is ignored', async () => {
    assert.equal((await readAll(chunked(craftTar([{ name: 'a', data: 'x' }], false)))).length, 1);
    const withJunk = Buffer.concat([craftTar([{ name: 'a' }]), Buffer.alloc(600, 0x41)]);
    assert.equal((await readAll(chunked(withJunk))).length, 1);
  });
});

describe('tar reader errors', () => {
  const rejects = (tar: Buffer, re: RegExp) =>
    assert.rejects(readAll(chunked(tar, 100)), (e: unknown) => {
      assert.ok(e instanceof MobyDickError, String(e));
      assert.equal(e.code, 'ARCHIVE');
      assert.match(e.message, re);
      return true;
    });

  test('a checksum mismatch names the offset', async () => {
    const tar = craftTar([{ name: 'ok', data: 'x' }, { name: 'bad', checksumDelta: 1 }]);
    await rejects(tar, /header checksum mismatch .*\(at byte 1024\)/);
  });

  test('garbage is not a tar header', async () => {
    await rejects(Buffer.alloc(1024, 0x41), /not a tar header|checksum/);
  });

  test('truncated inside the data names the entry; inside a header too', async () => {
    const tar = craftTar([{ name: 'victim', data: Buffer.alloc(2000, 1) }]);
    await rejects(tar.subarray(0, 1500), /truncated: it ends inside the data of "victim" \(at byte 1500\)/);
    await rejects(tar.subarray(0, 300), /truncated: it ends inside a header/);
  });

  test('an archive that ends right after its last file\'s data (no padding, no end marker) is whole, as Go reads it', async () => {
    const tar = craftTar([{ name: 'a', data: 'x' }, { name: 'last', data: 'hello' }]);
    const cut = tar.subarray(0, 3 * 512 + 5);
    for (const entries of [await readAll(chunked(cut, 100)), parseBytewise(cut)]) {
      assert.deepEqual(entries.map((e) => `${e.header.name}=${e.data.toString()}`), ['a=x', 'last=hello']);
    }
    // one byte short of the data is still cut
    await rejects(tar.subarray(0, 3 * 512 + 4), /truncated: it ends inside the data of "last"/);
  });

  test('an extended header with no entry after it', async () => {
    const tar = Buffer.concat([craftEntry({ name: 'x', type: 'x', data: paxBody({ path: 'p' }) }), Buffer.alloc(1024)]);
    await rejects(tar, /extended header without its entry/);
  });

  test('malformed pax records, sparse files and bad numbers', async () => {
    const bad = Buffer.concat([craftEntry({ name: 'x', type: 'x', data: '99 path=a\n' }), craftEntry({ name: 'a' })]);
    await rejects(bad, /malformed pax/);
    await rejects(craftTar([{ name: 's', type: 'S' }]), /sparse files are not supported/);
    await rejects(craftTar([{ name: 'a', pax: { size: '-1' } }]), /invalid pax size/);
    // lengths are decimal digits only, and a record ends where its length says
    for (const body of ['0x10 mtime=1\n', ' 11 mtime=1\n', '11mtime=1\n', '10 mtime=1\n', '12 mtime=1\n', '11 mtime1\n\n']) {
      await rejects(Buffer.concat([craftEntry({ name: 'x', type: 'x', data: body }), craftEntry({ name: 'a' })]), /malformed pax/);
    }
    await rejects(craftTar([{ name: 'a', pax: { mtime: '1.x' } }]), /invalid pax mtime value "1\.x"/);
    await rejects(craftTar([{ name: 'a', pax: { atime: '-' } }]), /invalid pax atime value "-"/);
  });

  test('pax times read in place, in any chunking: mtime, atime, a ctime ignored, other keys beside them', async () => {
    const tar = craftTar([
      { name: 'a', pax: { ctime: 'not a time', mtime: '1700000000.25', atime: '-1.5', 'SCHILY.xattr.user.k': 'v' } },
      { name: 'b', pax: { atime: '' } },
    ]);
    for (const chunk of [1, 7, 512, 65536]) {
      const [a, b] = await readAll(chunked(tar, chunk));
      assert.deepEqual(a!.header.mtime, { sec: 1700000000, nsec: 250000000 });
      assert.deepEqual(a!.header.atime, { sec: -2, nsec: 500000000 });
      assert.equal(a!.header.xattrs.get('user.k')!.toString(), 'v');
      assert.equal(b!.header.atime, undefined);
    }
  });
});

describe('tar reader on archives GNU tar made', () => {
  let dir: string;
  let src: string;
  const longDir = 'd'.repeat(150);
  const longFile = `${longDir}/${'f'.repeat(120)}`;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdk-test-tarread-'));
    src = join(dir, 'src');
    mkdirSync(join(src, longDir), { recursive: true });
    writeFileSync(join(src, 'small'), 'small file');
    writeFileSync(join(src, longFile), Buffer.alloc(100000, 7), { mode: 0o2755 });
    symlinkSync(`/${'t'.repeat(200)}`, join(src, 'abs-link'));
    linkSync(join(src, 'small'), join(src, 'hard'));
    // as any user: the owners come from tar's --owner/--group, the device is the host's
    // /dev/null (archived as it is), the binary xattr value is a user.* one
    const sys = nativeAddon();
    const fd = openSync(src, constants.O_RDONLY | constants.O_DIRECTORY);
    sys.mknodAt(fd, Buffer.from('fifo'), 0o010644, 0, 0);
    sys.chmodAt(fd, Buffer.from('small'), 0o4755);
    chmodSync(join(src, longFile), 0o2755); // open(2) may drop setgid, chmod by the owner does not
    sys.setXattrAt(fd, Buffer.from('small'), 'user.mdk-test.cap', CAP);
    closeSync(fd);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ['posix', 'gnu']) {
    test(`--format=${format}`, async () => {
      const tarFile = join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '--xattrs', '--xattrs-include=user.*', '--owner=1234', '--group=5678', '--numeric-owner', '-cf', tarFile, '-C', src, '.', '-C', '/', 'dev/null']);
      const entries = await readAll(chunked(readFileSync(tarFile), 65536));
      const byName = new Map(entries.map((e) => [e.header.name.replace(/^\.\//, '').replace(/\/$/, ''), e]));
      const small = byName.get('small')!;
      const st = lstatSync(join(src, 'small'), { bigint: true });
      assert.equal(small.header.mode, Number(st.mode) & 0o7777);
      assert.deepEqual([small.header.uid, small.header.gid], [1234, 5678]);
      assert.equal(small.header.mtime.sec, Number(st.mtimeNs / 1000000000n));
      assert.equal(small.data.toString(), 'small file');
      if (format === 'posix') {
        assert.ok(small.header.xattrs.get('user.mdk-test.cap')!.equals(CAP));
        assert.equal(small.header.mtime.nsec, Number(st.mtimeNs % 1000000000n));
      }
      const long = byName.get(longFile)!;
      assert.ok(long.data.equals(Buffer.alloc(100000, 7)));
      assert.equal(long.header.mode, 0o2755);
      assert.equal(byName.get('abs-link')!.header.linkname, `/${'t'.repeat(200)}`);
      assert.equal(byName.get('hard')!.header.type, 'hardlink');
      assert.equal(byName.get('hard')!.header.linkname.replace(/^\.\//, ''), 'small');
      assert.equal(byName.get('fifo')!.header.type, 'fifo');
      const nul = byName.get('dev/null')!.header;
      assert.deepEqual([nul.type, nul.devmajor, nul.devminor, nul.mode], ['char', 1, 3, 0o666]);
      assert.equal(byName.get(longDir)!.header.type, 'directory');
    });
  }
});
