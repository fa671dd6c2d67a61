import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RootlessSyscalls } from '../../test/helpers/rootless-syscalls.js';
import { nativeAddon } from '../helper/native-addon.js';
import { imageHasPath, readImageFile } from './image-files.js';

const S_IFCHR = 0o020000;

describe('reading a file through unpacked layers', () => {
  // whiteouts (0/0 devices) and opaque xattrs need root: the fake keeps them, as an unpack with it would
  const sys = new RootlessSyscalls();
  const root = mkdtempSync('/tmp/mdk-test-image-files-');
  after(() => rmSync(root, { recursive: true, force: true }));
  const layer = (name: string, files: Record<string, string | 'whiteout' | 'opaque' | { link: string }>): string => {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const [path, what] of Object.entries(files)) {
      const full = join(dir, path);
      if (what === 'opaque') {
        mkdirSync(full, { recursive: true });
        const fd = openSync(full, 'r');
        sys.setXattrAt(fd, Buffer.alloc(0), 'trusted.overlay.opaque', Buffer.from('y'));
        closeSync(fd);
        continue;
      }
      mkdirSync(join(full, '..'), { recursive: true });
      if (what === 'whiteout') {
        const fd = openSync(join(full, '..'), 'r');
        sys.mknodAt(fd, Buffer.from(path.split('/').pop()!), S_IFCHR, 0, 0);
        closeSync(fd);
      } else if (typeof what === 'object') symlinkSync(what.link, full);
      else writeFileSync(full, what);
    }
    return dir;
  };

  const base = layer('base', { 'etc/passwd': 'base\n', 'etc/group': 'g\n', 'opt/a': 'a\n', 'var/x': 'x\n' });
  const mid = layer('mid', { 'etc/passwd': 'mid\n', 'etc/group': 'whiteout', opt: 'opaque', 'etc/hosts': { link: '/etc/passwd' } });
  const top = layer('top', { 'home/u': 'u\n', var: { link: '/host' } });
  const read = (path: string) => readImageFile([top, mid, base], path, sys)?.toString() ?? null;

  test('the topmost layer that has it wins', () => {
    assert.equal(read('/etc/passwd'), 'mid\n');
    assert.equal(read('/home/u'), 'u\n');
  });

  test('a whiteout hides the file below', () => {
    assert.equal(read('/etc/group'), null);
  });

  test('an opaque directory hides what the lower layers had in it', () => {
    assert.equal(read('/opt/a'), null);
  });

  test("a rootless store's layers: user.overlay.opaque is the one overlay (userxattr) honours, trusted.* is not", () => {
    const low = layer('rl-low', { 'srv/a': 'low\n', 'opt/a': 'low\n' });
    const up = layer('rl-up', { 'srv/b': 'up\n' });
    const srv = openSync(join(up, 'srv'), 'r');
    try {
      sys.setXattrAt(srv, Buffer.alloc(0), 'user.overlay.opaque', Buffer.from('y'));
    } finally {
      closeSync(srv);
    }
    const readRl = (path: string, rootless: boolean) => readImageFile([up, low], path, sys, rootless)?.toString() ?? null;
    assert.equal(readRl('/srv/a', true), null, 'hidden by user.overlay.opaque');
    assert.equal(readRl('/srv/a', false), 'low\n', "root's overlay does not read user.*");
    assert.equal(readRl('/opt/a', true), 'low\n');
    // what diff and commit ask of a rootless store's layers (build/rootless-layer.ts)
    assert.equal(imageHasPath([up, low], '/srv/a', sys, true), false, 'hidden by user.overlay.opaque');
    assert.equal(imageHasPath([up, low], '/srv/a', sys, false), true);
    assert.equal(imageHasPath([up, low], '/srv/b', sys, true), true);
    assert.equal(imageHasPath([up, low], '/opt/a', sys, true), true);
  });

  test('symlinks are not followed, neither as the file nor on the way', () => {
    assert.equal(read('/etc/hosts'), null);
    assert.equal(read('/var/x'), null, 'the top layer replaced /var by a link');
  });

  test('missing files and odd paths are null', () => {
    assert.equal(read('/etc/shadow'), null);
    assert.equal(read('/etc/../etc/passwd'), null);
    assert.equal(read('/'), null);
  });

  test('a layer on a filesystem without user.* (or any) xattrs: the opaque xattr is absent, not an error', () => {
    // procfs stands in for tmpfs on Linux 6.1 (a rootless store there): getxattr gives ENOTSUP
    const addon = nativeAddon();
    const ostype = readFileSync('/proc/sys/kernel/ostype', 'utf8');
    for (const rootless of [true, false]) {
      assert.equal(readImageFile(['/proc/sys'], '/kernel/ostype', addon, rootless)?.toString(), ostype);
      assert.equal(imageHasPath(['/proc/sys'], 'kernel/random/uuid', addon, rootless), true);
      assert.equal(imageHasPath(['/proc/sys'], 'kernel/none', addon, rootless), false);
    }
  });
});
