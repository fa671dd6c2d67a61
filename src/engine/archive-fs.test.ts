/**
 * locate() with the addon's *at calls given in (Node's fs,
 * test/helpers/fs-syscalls.ts): a path's parent opened in the root and its
 * last name not followed, or followed hop by hop with each target resolved
 * again from the root, up to 40 hops. No root, no addon.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NodeFsSyscalls } from '../../test/helpers/fs-syscalls.js';
import { S_IFLNK, S_IFMT, S_IFREG } from '../linux/file-modes.js';
import { locate, lstatIn } from './archive-fs.js';

describe('locate, the syscalls given in', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-archive-fs-'));
  const rootFd = openSync(root, 'r');
  after(() => {
    closeSync(rootFd);
    rmSync(root, { recursive: true, force: true });
  });
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data', 'file'), 'x');
  symlinkSync('/data/file', join(root, 'etc', 'abs')); // absolute: from the root, not the host's /
  symlinkSync('../data', join(root, 'etc', 'rel'));
  symlinkSync('loop-b', join(root, 'etc', 'loop-a'));
  symlinkSync('loop-a', join(root, 'etc', 'loop-b'));
  const sys = new NodeFsSyscalls();
  const typeOf = (st: { mode: number } | undefined) => (st ? st.mode & S_IFMT : undefined);

  test('not followed: the parent opened in the root, the last name as it is', () => {
    const l = locate(rootFd, '/etc/abs', false, sys);
    try {
      assert.equal(sys.path(l.dir, Buffer.alloc(0)), join(root, 'etc'));
      assert.equal(l.name.toString(), 'abs');
      assert.equal(typeOf(l.st), S_IFLNK);
      assert.equal(l.path, '/etc/abs');
    } finally {
      closeSync(l.dir);
    }
  });

  test('followed: an absolute target from the root, a relative one from the link\'s directory', () => {
    const abs = locate(rootFd, '/etc/abs', true, sys);
    closeSync(abs.dir);
    assert.equal(abs.path, '/data/file');
    assert.equal(typeOf(abs.st), S_IFREG);
    const rel = locate(rootFd, 'etc/rel/file', true, sys);
    closeSync(rel.dir);
    assert.equal(typeOf(rel.st), S_IFREG);
    const missing = locate(rootFd, '/nothing-here', true, sys);
    closeSync(missing.dir);
    assert.equal(missing.st, undefined);
  });

  test('a loop of links ends with ELOOP after 40 hops', () => {
    const before = sys.calls.filter((c) => c === 'readlinkAt').length;
    assert.throws(() => locate(rootFd, '/etc/loop-a', true, sys), (e: NodeJS.ErrnoException) => e.code === 'ELOOP' && /too many levels of symbolic links: \/etc\/loop-a/.test(e.message));
    assert.equal(sys.calls.filter((c) => c === 'readlinkAt').length - before, 41);
  });

  test('lstatIn: the stat the given lstatAt answers, undefined for a missing name', () => {
    const dir = openSync(join(root, 'data'), 'r');
    try {
      assert.equal(lstatIn(dir, Buffer.from('file'), sys)?.size, 1);
      assert.equal(lstatIn(dir, Buffer.from('none'), sys), undefined);
    } finally {
      closeSync(dir);
    }
  });
});
