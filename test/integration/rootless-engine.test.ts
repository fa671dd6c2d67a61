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
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { CLI, sleep } from '../helpers/cli.js';
import { assertNoLeaks, processesWith, type Snapshot, snapshot } from '../helpers/leaks.js';
import { compress, imageOf, sha256, type TestImage } from '../helpers/oci-image.js';
import { type FakeRegistry, startFakeRegistry } from '../helpers/registry.js';
import { busyboxTar, GZIP, owners } from '../helpers/rootless-image.js';
import { craftTar } from '../helpers/tar-craft.js';
import { makeTestUser, type TestUser } from '../helpers/test-user.js';

const ESCAPE = `/etc/mdk-test-rl-escape-${process.pid}`;

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
    const base = busyboxTar();
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

  test('containers from the image, --network none: run --rm, run -d, logs, exec, ps, stop, rm; owners as in the image inside, the user\'s ids outside', async () => {
    const { uid, sub } = user;
    const once = await user.run(CLI, ['run', '--rm', '--network', 'none', ref(), 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c "%u %g %a" /data/owned /data/setuid; grep " / " /proc/mounts']);
    assert.equal(once.code, 0, once.stderr);
    const lines = once.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    assert.deepEqual(lines.slice(0, 5), ['0', `0 ${uid} 1`, `1 ${sub!.start} ${sub!.count}`, '1000 2000 640', '0 0 4755']);
    assert.match(lines[5]!, /^overlay \/ overlay .*userxattr/);

    const marker = `mdk-test-rl-engine-${process.pid}`;
    const name = `mdk-test-rl-c${process.pid}`;
    const started = await user.run(CLI, ['run', '-d', '--name', name, '--network', 'none', ref(), 'sh', '-c', 'echo started; touch /mine; chown 1000:1000 /mine; sleep 300; true', marker]);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    try {
      let logs = '';
      for (let i = 0; i < 100 && !logs.includes('started'); i++) {
        logs = (await user.run(CLI, ['logs', name])).stdout;
        await sleep(50);
      }
      assert.equal(logs, 'started\n');
      const ps = await user.run(CLI, ['ps', '--format', '{{.Names}} {{.Status}}']);
      assert.match(ps.stdout, new RegExp(`^${name} Up `));
      const ex = await user.run(CLI, ['exec', name, 'sh', '-c', 'id -u; stat -c "%u %g" /mine']);
      assert.equal(ex.code, 0, ex.stderr);
      assert.deepEqual(ex.stdout.trim().split('\n'), ['0', '1000 1000']);
      // outside: the container's process is the user's, its files the user's range
      const procs = processesWith(marker).filter((p) => p.cmdline.startsWith('sh'));
      assert.equal(procs.length, 1);
      const hostUid = readFileSync(`/proc/${procs[0]!.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!.split(/\s+/).slice(1).map(Number);
      assert.deepEqual(hostUid, [uid, uid, uid, uid]);
      const mine = lstatSync(join(store, 'containers', id, 'diff', 'mine'));
      assert.deepEqual([mine.uid, mine.gid], [sub!.start + 999, sub!.start + 999]);
      const runDir = join(user.env.XDG_RUNTIME_DIR!, 'moby-dick');
      const foreign = [...owners(store), ...owners(runDir)].filter((o) => !(o.uid === uid || (o.uid >= sub!.start && o.uid < sub!.start + sub!.count)));
      assert.deepEqual(foreign, [], 'nothing of the host\'s root or another user');
    } finally {
      const stop = await user.run(CLI, ['stop', '-t', '1', name]);
      assert.equal(stop.code, 0, stop.stderr);
      const rm = await user.run(CLI, ['rm', name]);
      assert.equal(rm.code, 0, rm.stderr);
    }
    assert.deepEqual(readdirSync(join(store, 'containers')), []);
    assert.deepEqual(processesWith(marker), []);
  });

  test('what needs root is refused in one line: user-defined networks, --privileged, --device, limits, network commands', async () => {
    for (const [args, words] of [
      [['run', '--rm', '--network', 'mdk-test-rl-net', ref(), 'true'], /^moby-dick: --network mdk-test-rl-net: user-defined networks need root/],
      [['create', '--network', 'none', '--privileged', ref()], /^moby-dick: --privileged: the host's devices and all capabilities need root \(rootless\)/],
      [['run', '--rm', '--network', 'none', '--device', '/dev/null:/dev/mdk-null', ref(), 'true'], /^moby-dick: --device: device nodes of the host need root \(rootless\)/],
      [['run', '--rm', '--network', 'none', '--memory', '64m', '--pids-limit', '50', ref(), 'true'], /^moby-dick: --memory, --pids-limit: cgroup limits are not available to a rootless container/],
    ] as const) {
      const r = await user.run(CLI, args);
      assert.equal(r.code, 125, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, words);
    }
    assert.deepEqual(readdirSync(join(store, 'containers')), [], 'nothing made');
    for (const args of [['network', 'create', 'mdk-test-rl-net'], ['network', 'ls']]) {
      const r = await user.run(CLI, args);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^moby-dick: network: networks need root \(rootless: bridges and user-defined networks are not available to an ordinary user\)/);
    }
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
});
