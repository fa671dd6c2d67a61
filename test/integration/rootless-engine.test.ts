/**
 * The engine's image commands as an ordinary user (rootless): `pull` from a
 * registry this test serves on 127.0.0.1, `images`, `tag`, `rmi`, into the
 * user's store under $XDG_DATA_HOME/moby-dick. Layers are unpacked as root
 * of the user's user namespace: the image's owners appear on the host
 * shifted into the user's /etc/subuid range (0 is the user), a device node
 * is skipped with a warning, opaque directories get user.overlay.opaque,
 * a symlink in a layer leads nowhere out of the store, and nothing in the
 * store belongs to the host's root. `rmi` removes the files of the
 * subordinate ids too. The container commands are still refused in one line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { CLI } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { compress, imageOf, sha256, tarOf, type TestImage } from '../helpers/oci-image.js';
import { type FakeRegistry, startFakeRegistry } from '../helpers/registry.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';
import { craftTar } from '../helpers/tar-craft.js';
import { makeTestUser, type TestUser } from '../helpers/test-user.js';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ESCAPE = `/etc/mdk-test-rl-escape-${process.pid}`;

/** Every path under DIR (lstat'd, never followed) with its owner. */
function owners(dir: string): { path: string; uid: number; gid: number }[] {
  const out: { path: string; uid: number; gid: number }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push({ path: p, uid: st.uid, gid: st.gid });
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** The unpacked layer directories of the user's store. */
function layerDirs(store: string): string[] {
  const layers = join(store, 'layers');
  if (!existsSync(layers)) return [];
  return readdirSync(layers).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => join(layers, n, 'diff'));
}

describe('rootless engine: images as an ordinary user', () => {
  let user: TestUser;
  let fake: FakeRegistry;
  let image: TestImage;
  let snap: Snapshot;
  let store: string;
  const ref = (): string => `${fake.host}/mdk-test/rootless:latest`;

  before(async () => {
    user = makeTestUser('ranged');
    store = join(user.env.XDG_DATA_HOME!, 'moby-dick');
    const rootfs = makeBusyboxRootfs();
    let base: Buffer;
    try {
      base = tarOf(rootfs);
    } finally {
      removeRootfs(rootfs);
    }
    const top = craftTar([
      { name: 'data/', type: '5', mode: 0o750, uid: 1000, gid: 1000 },
      { name: 'data/owned', data: 'owned', mode: 0o640, uid: 1000, gid: 2000 },
      { name: 'data/setuid', data: 'x', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'dev/', type: '5', mode: 0o755 },
      { name: 'dev/mdk-null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'opq/', type: '5', mode: 0o755 },
      { name: 'opq/.wh..wh..opq' },
      { name: 'bin/.wh.mdk-gone' },
      // a symlink out of the layer, then a file through it: lands inside the layer
      { name: 'etc/', type: '5', mode: 0o755 },
      { name: 'esc', type: '2', linkname: '/etc' },
      { name: `esc/${ESCAPE.slice('/etc/'.length)}`, data: 'escaped?' },
    ]);
    const layers = [base, top].map((tar) => {
      const bytes = compress(tar, 'gzip');
      return { digest: sha256(bytes), bytes, mediaType: GZIP };
    });
    image = imageOf(layers, [sha256(base), sha256(top)]);
    fake = await startFakeRegistry({ repo: 'mdk-test/rootless', manifests: { latest: image.manifest }, blobs: [image.config, ...image.layers] });
  });
  after(async () => {
    await fake?.close();
    user?.remove();
    assert.equal(existsSync(ESCAPE), false);
    for (const file of ['/etc/passwd', '/etc/subuid', '/etc/subgid']) {
      assert.ok(!execFileSync('cat', [file], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith(`${user.name}:`)), `${user.name} left in ${file}`);
    }
  });
  beforeEach(() => {
    snap = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(snap);
  });

  test('pull: layers with the image\'s owners shifted into the user\'s range, a device skipped with a warning, nothing of the host\'s root', async () => {
    const r = await user.run(CLI, ['pull', ref()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: layer sha256:[a-f0-9]{64}: char device "dev\/mdk-null" \(1:3\) skipped: a rootless store cannot hold device nodes/);
    const dirs = layerDirs(store);
    assert.equal(dirs.length, 2);
    const top = dirs.find((d) => existsSync(join(d, 'data')))!;
    const base = dirs.find((d) => d !== top)!;
    const { uid, sub } = user;
    const st = (p: string) => lstatSync(join(top, p));
    // 0 inside is the user; 1000 inside is the range's 1000th id
    assert.deepEqual([st('data').uid, st('data').gid], [sub!.start + 999, sub!.start + 999]);
    assert.deepEqual([st('data/owned').uid, st('data/owned').gid], [sub!.start + 999, sub!.start + 1999]);
    assert.equal(st('data/owned').mode & 0o7777, 0o640);
    assert.deepEqual([st('data/setuid').uid, st('data/setuid').mode & 0o7777], [uid, 0o4755]);
    assert.equal(existsSync(join(top, 'dev/mdk-null')), false, 'no device node');
    const wh = st('bin/mdk-gone');
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'the whiteout a 0/0 character device');
    const opq = openSync(join(top, 'opq'), 'r');
    try {
      assert.equal(nativeAddon().getXattrAt(opq, Buffer.alloc(0), 'user.overlay.opaque')?.toString(), 'y');
      assert.equal(nativeAddon().getXattrAt(opq, Buffer.alloc(0), 'trusted.overlay.opaque'), undefined);
    } finally {
      closeSync(opq);
    }
    assert.ok(st('esc').isSymbolicLink());
    assert.equal(lstatSync(join(top, ESCAPE)).uid, uid, 'the file through the symlink is in the layer');
    assert.equal(existsSync(ESCAPE), false, 'nothing written out of the store');
    assert.equal(lstatSync(join(base, 'bin/busybox')).uid, uid);
    // outside: every file of the store is the user's or in its range
    const foreign = owners(store).filter((o) => !(o.uid === uid || (o.uid >= sub!.start && o.uid < sub!.start + sub!.count)));
    assert.deepEqual(foreign, [], 'only the user\'s ids in the store');
  });

  test('images, tag, save, rmi and load: the layers of the range\'s ids are removed too', async () => {
    const listed = await user.run(CLI, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, `${ref()}\n`);
    const archive = join(user.home, 'tmp', 'saved.tar');
    const saved = await user.run(CLI, ['save', '-o', archive, ref()]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal((await user.run(CLI, ['rmi', ref()])).code, 0);
    assert.deepEqual(layerDirs(store), []);
    const loaded = await user.run(CLI, ['load', '-i', archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stderr, /char device "dev\/mdk-null" \(1:3\) skipped/);
    const top = layerDirs(store).find((d) => existsSync(join(d, 'data')));
    assert.ok(top, 'loaded again');
    assert.equal(lstatSync(join(top, 'data/owned')).uid, user.sub!.start + 999);
    const tagged = await user.run(CLI, ['tag', ref(), 'mdk-test-rootless:two']);
    assert.equal(tagged.code, 0, tagged.stderr);
    const rmi = await user.run(CLI, ['rmi', ref(), 'mdk-test-rootless:two']);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.deepEqual(layerDirs(store), []);
    assert.deepEqual(readdirSync(join(store, 'layers', 'tmp')), []);
    const none = await user.run(CLI, ['images', '-q']);
    assert.equal(none.stdout, '');
  });

  test('a layer with an owner beyond the user\'s range: one line with the hint, nothing stored', async () => {
    const tar = craftTar([{ name: 'far', data: 'x', uid: 70000, gid: 0 }]);
    const bytes = compress(tar, 'gzip');
    const far = imageOf([{ digest: sha256(bytes), bytes, mediaType: GZIP }], [sha256(tar)]);
    const f2 = await startFakeRegistry({ repo: 'mdk-test/far', manifests: { latest: far.manifest }, blobs: [far.config, ...far.layers] });
    try {
      const r = await user.run(CLI, ['pull', `${f2.host}/mdk-test/far:latest`]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /entry "far" .*invalid argument.*beyond your \/etc\/subuid or \/etc\/subgid range/);
      assert.deepEqual(layerDirs(store), []);
      assert.deepEqual(readdirSync(join(store, 'layers', 'tmp')), []);
    } finally {
      await f2.close();
    }
  });

  test('the container commands and networks are still refused in one line', async () => {
    for (const args of [['run', '--rm', '--network', 'none', 'busybox', 'true'], ['ps']]) {
      const r = await user.run(CLI, args);
      assert.equal(r.code, args[0] === 'run' ? 125 : 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^moby-dick: ${args[0]}: containers from images are not available to an ordinary user yet`));
    }
    for (const args of [['network', 'create', 'mdk-test-rl-net'], ['network', 'ls']]) {
      const r = await user.run(CLI, args);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^moby-dick: network: networks need root \(rootless: bridges and user-defined networks are not available to an ordinary user\)/);
    }
  });
});
