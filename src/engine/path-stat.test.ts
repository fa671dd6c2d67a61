/**
 * statInRoot (`docker cp`'s path stat) with the addon's *at calls given in
 * (Node's fs, test/helpers/fs-syscalls.ts): no root, no addon, no
 * container. The same through a real container: test/integration/api-*.test.ts.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { addonLoaded } from '../../test/helpers/fs-layer-syscalls.js';
import { NodeFsSyscalls } from '../../test/helpers/fs-syscalls.js';
import { MobyDickError } from '../errors.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../linux/file-modes.js';
import { statInRoot } from './path-stat.js';

describe('statInRoot, the syscalls given in', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-path-stat-'));
  const rootFd = openSync(root, 'r');
  after(() => {
    closeSync(rootFd);
    rmSync(root, { recursive: true, force: true });
  });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  symlinkSync('/etc/hosts', join(root, 'etc', 'link'));
  symlinkSync('/etc', join(root, 'etc-link'));
  const sys = new NodeFsSyscalls();
  const fds = () => readdirSync('/proc/self/fd').length;
  const readlinks = () => sys.calls.filter((c) => c === 'readlinkAt').length;

  test('a symlink is not followed: its own stat and its target as it is', () => {
    const before = readlinks();
    const s = statInRoot(rootFd, '/etc/link', 'mdk-test-c', sys);
    assert.deepEqual([s.name, s.linkTarget, s.stat.mode & S_IFMT], ['link', '/etc/hosts', S_IFLNK]);
    assert.equal(readlinks() - before, 1);
  });

  test('a file, through a symlink on the way (resolved inside the root); a directory; the root', () => {
    const before = readlinks();
    const f = statInRoot(rootFd, 'etc-link/hosts', 'mdk-test-c', sys);
    assert.deepEqual([f.name, f.linkTarget, f.stat.mode & S_IFMT, f.stat.size], ['hosts', '', S_IFREG, 20]);
    const d = statInRoot(rootFd, '/etc/', 'mdk-test-c', sys);
    assert.deepEqual([d.name, d.stat.mode & S_IFMT], ['etc', S_IFDIR]);
    const r = statInRoot(rootFd, '/', 'mdk-test-c', sys);
    assert.deepEqual([r.name, r.stat.mode & S_IFMT], ['/', S_IFDIR]);
    assert.equal(readlinks(), before, 'no readlink of what is not a symlink');
  });

  test('missing, or through a file: Docker\'s "Could not find the file", a USAGE error naming the container; no fd left open', () => {
    const open = fds();
    for (const path of ['/nope', '/nope/deeper', '/etc/hosts/x']) {
      assert.throws(() => statInRoot(rootFd, path, 'mdk-test-c', sys), (e: MobyDickError) => {
        assert.equal(e.code, 'USAGE');
        assert.equal(e.message, `Could not find the file ${path} in container mdk-test-c`);
        assert.deepEqual([e.details.container, e.details.subject], ['mdk-test-c', path]);
        return true;
      });
    }
    statInRoot(rootFd, '/etc/link', 'mdk-test-c', sys);
    assert.equal(fds(), open);
  });

  test('the addon was never loaded', () => {
    assert.equal(addonLoaded(), false);
  });
});
