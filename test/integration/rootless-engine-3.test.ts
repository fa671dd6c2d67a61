/**
 * Still more of the engine as an ordinary user (rootless), as a test user
 * with a subuid range, on an image served on 127.0.0.1 whose top layer
 * makes /etc opaque: `exec -u NAME` resolves through the store's own
 * opaque xattr; `cp` both ways, to and from running and stopped
 * containers — into the container files are owned as inside (root inside
 * is the user outside, -a keeps the numbers, which land in the range), out
 * of it they are the user's (the tar to "-" has the owners seen inside);
 * files of the range the user alone cannot read or write are copied all
 * the same, and symlinks in the container lead nowhere out of its root.
 * Nothing left in the store or the user's directories belongs to anyone
 * but the user and the user's range.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, closeSync, lstatSync, openSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { CLI } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { compress, imageOf, sha256 } from '../helpers/oci-image.js';
import { type FakeRegistry, startFakeRegistry } from '../helpers/registry.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';
import { busyboxTar, GZIP, owners } from '../helpers/rootless-image.js';
import { craftTar } from '../helpers/tar-craft.js';
import { makeTestUser, type TestUser } from '../helpers/test-user.js';

describe('rootless engine: exec -u, cp as an ordinary user', () => {
  let user: TestUser;
  let fake: FakeRegistry;
  let snap: Snapshot;
  let store: string;
  const ref = (): string => `${fake.host}/mdk-test/rootless3:latest`;
  /** what only the user's ids may own */
  const foreignIn = (dir: string) => owners(dir).filter((o) => !(o.uid === user.uid || (o.uid >= user.sub!.start && o.uid < user.sub!.start + user.sub!.count)));
  /** what is not the user's own */
  const notUsers = (dir: string) => owners(dir).filter((o) => o.uid !== user.uid || o.gid !== user.gid);
  const names: string[] = [];
  const named = (what: string): string => {
    const n = `${TEST_PREFIX}rl3-${what}-${process.pid}`;
    names.push(n);
    return n;
  };
  const ok = async (args: string[], input?: string | Buffer): Promise<string> => {
    const r = await user.run(CLI, args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    user = makeTestUser('ranged');
    store = join(user.env.XDG_DATA_HOME!, 'moby-dick');
    const base = busyboxTar();
    // a group file that would give tester group 50, hidden by the opaque /etc above it
    const mid = craftTar([
      { name: 'etc/', type: '5', mode: 0o755 },
      { name: 'etc/group', data: 'root:x:0:\nstaff:x:50:tester\n', mode: 0o644 },
    ]);
    const top = craftTar([
      // an opaque /etc without a group file: the image's /etc/passwd (with nobody) and the group file above are hidden below it
      { name: 'etc/', type: '5', mode: 0o755 },
      { name: 'etc/.wh..wh..opq' },
      { name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\ntester:x:4321:4321::/:/bin/sh\n', mode: 0o644 },
      // files of the range the user alone cannot read
      { name: 'data/', type: '5', mode: 0o750, uid: 1000, gid: 1000 },
      { name: 'data/owned', data: 'owned\n', mode: 0o640, uid: 1000, gid: 2000 },
    ]);
    const layers = [base, mid, top].map((tar) => {
      const bytes = compress(tar, 'gzip');
      return { digest: sha256(bytes), bytes, mediaType: GZIP };
    });
    const image = imageOf(layers, [sha256(base), sha256(mid), sha256(top)]);
    fake = await startFakeRegistry({ repo: 'mdk-test/rootless3', manifests: { latest: image.manifest }, blobs: [image.config, ...image.layers] });
    await ok(['pull', ref()]);
  });
  after(async () => {
    for (const n of names) await user?.run(CLI, ['rm', '-f', n]);
    await fake?.close();
    user?.remove();
  });
  beforeEach(() => {
    snap = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(snap);
  });

  test('exec -u NAME reads /etc/passwd and /etc/group through the opaque /etc of a rootless store: the image\'s nobody and groups below it are not found', async () => {
    const name = named('exec');
    await ok(['run', '-d', '--name', name, '--network', 'none', ref(), 'sleep', '1000']);
    assert.equal(await ok(['exec', '-u', 'tester', name, 'sh', '-c', 'id -u; id -G']), '4321\n4321\n');
    const r = await user.run(CLI, ['exec', '-u', 'nobody', name, 'id', '-u']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /nobody.*passwd|passwd.*nobody/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    await ok(['rm', '-f', name]);
  });

  test('cp out of a running and a stopped container: files of the range the user cannot read, owned by the user on the host; the tar to "-" with the owners inside; -a to the host refused', async () => {
    const name = named('out');
    await ok(['run', '-d', '--name', name, '--network', 'none', ref(), 'sh', '-c',
      'mkdir -p /out/sub && echo hi > /out/sub/f && echo sec > /out/s && chmod 600 /out/s && chmod 700 /out/sub && chown -R 1000:2000 /out && chown 1234:1234 /out/s && touch /ready && exec sleep 1000']);
    const dest = user.dir('out');
    for (let i = 0; i < 100 && (await user.run(CLI, ['exec', name, 'test', '-e', '/ready'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));

    await ok(['cp', `${name}:/out`, join(dest, 'got')]);
    assert.equal(readFileSync(join(dest, 'got/sub/f'), 'utf8'), 'hi\n');
    assert.equal(readFileSync(join(dest, 'got/s'), 'utf8'), 'sec\n');
    assert.equal(lstatSync(join(dest, 'got/sub')).mode & 0o7777, 0o700);
    assert.equal(lstatSync(join(dest, 'got/s')).mode & 0o7777, 0o600);
    // a file of the image's range: the user on the host could not read it there
    await ok(['cp', `${name}:/data/owned`, dest]);
    assert.equal(readFileSync(join(dest, 'owned'), 'utf8'), 'owned\n');
    // a directory's contents into one that exists
    await ok(['cp', `${name}:/out/sub/.`, dest]);
    assert.equal(readFileSync(join(dest, 'f'), 'utf8'), 'hi\n');
    assert.deepEqual(notUsers(dest), [], 'everything copied out is the user\'s');

    const tar = execFileSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', CLI, 'cp', `${name}:/out`, '-'], { env: user.env });
    const list = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, encoding: 'utf8' });
    assert.match(list, /^drwx------ 1000\/2000 .* out\/sub\/?$/m);
    assert.match(list, /^-rw------- 1234\/1234 .* out\/s$/m);

    const a = await user.run(CLI, ['cp', '-a', `${name}:/out`, join(dest, 'a')]);
    assert.equal(a.code, 1, a.stderr);
    assert.match(a.stderr, /^moby-dick: cp -a to the host: an ordinary user cannot give the copied files their owners \(rootless\)/);
    assert.equal(a.stderr.trim().split('\n').length, 1);

    await ok(['stop', '-t', '0', name]);
    await ok(['cp', `${name}:/out/s`, join(dest, 's-stopped')]);
    assert.equal(readFileSync(join(dest, 's-stopped'), 'utf8'), 'sec\n');
    const missing = await user.run(CLI, ['cp', `${name}:/nowhere`, dest]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Could not find the file \/nowhere in container/);
    assert.deepEqual(notUsers(dest), []);
    await ok(['rm', name]);
    assert.deepEqual(foreignIn(store), []);
  });

  test('cp into a running and a stopped container: owned by root inside (the user outside), -a keeps the numbers (in the range outside), a directory of the range the user cannot write, a tar from stdin', async () => {
    const name = named('in');
    await ok(['run', '-d', '--name', name, '--network', 'none', ref(), 'sh', '-c', 'mkdir /locked && chown 1000:1000 /locked && chmod 700 /locked && touch /ready && exec sleep 1000']);
    for (let i = 0; i < 100 && (await user.run(CLI, ['exec', name, 'test', '-e', '/ready'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    const src = user.dir('in');
    writeFileSync(join(src, 'a'), 'from the host\n');
    chownSync(join(src, 'a'), user.uid, user.gid);
    mkdirSync(join(src, 'd'));
    writeFileSync(join(src, 'd', 'b'), 'b\n');
    for (const p of ['d', 'd/b']) chownSync(join(src, p), user.uid, user.gid);

    await ok(['cp', join(src, 'a'), `${name}:/locked/`]);
    await ok(['cp', join(src, 'd'), `${name}:/newdir`]);
    await ok(['cp', '-a', join(src, 'a'), `${name}:/kept`]);
    const inside = await ok(['exec', name, 'sh', '-c', 'cat /locked/a /newdir/b; stat -c "%u %g" /locked/a /newdir /newdir/b /kept']);
    assert.equal(inside, `from the host\nb\n0 0\n0 0\n0 0\n${user.uid} ${user.gid}\n`);

    const tar = execFileSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', 'a']);
    await ok(['cp', '-', `${name}:/locked`], tar);
    assert.equal(await ok(['exec', name, 'sh', '-c', 'ls /locked']), 'a\n');

    await ok(['stop', '-t', '0', name]);
    await ok(['cp', join(src, 'a'), `${name}:/stopped-in`]);
    const out = execFileSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', CLI, 'cp', `${name}:/stopped-in`, '-'], { env: user.env });
    assert.match(execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: out, encoding: 'utf8' }), /^-rw-r--r-- 0\/0 .* stopped-in$/m);

    // outside: 0 inside is the user, the -a copy's number the range's
    const uppers = owners(join(store, 'containers')).filter((o) => /\/(kept|stopped-in|newdir\/b)$/.test(o.path));
    assert.equal(uppers.length, 3, JSON.stringify(uppers));
    for (const o of uppers) {
      if (o.path.endsWith('/kept')) assert.deepEqual([o.uid, o.gid], [user.sub!.start + user.uid - 1, user.sub!.start + user.gid - 1]);
      else assert.deepEqual([o.uid, o.gid], [user.uid, user.gid], o.path);
    }
    assert.deepEqual(foreignIn(store), []);
    assert.deepEqual(notUsers(src), [], 'the host\'s files are left as they were');
    await ok(['rm', name]);
  });

  test('symlinks in the container lead cp nowhere out of its root: to a file of the user\'s home and to "/", copied out and into', async () => {
    const secretDir = user.dir('secret');
    const secret = join(secretDir, 'secret');
    writeFileSync(secret, 'host secret\n');
    chownSync(secret, user.uid, user.gid);
    const name = named('links');
    await ok(['run', '-d', '--name', name, '--network', 'none', ref(), 'sh', '-c',
      `mkdir -p ${secretDir} && ln -s ${secret} /x && ln -s / /rootlink && ln -s ${secretDir} /dirlink && touch /ready && exec sleep 1000`]);
    for (let i = 0; i < 100 && (await user.run(CLI, ['exec', name, 'test', '-e', '/ready'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    const dest = user.dir('links');

    // out: the link as a link; followed (-L), it is the container's path, which does not exist there
    await ok(['cp', `${name}:/x`, join(dest, 'x')]);
    assert.equal(lstatSync(join(dest, 'x')).isSymbolicLink(), true);
    const followed = await user.run(CLI, ['cp', '-L', `${name}:/x`, join(dest, 'y')]);
    assert.notEqual(followed.code, 0);
    assert.doesNotMatch(followed.stderr, /host secret/);
    assert.equal(readdirSync(dest).includes('y'), false);
    // through a link to "/": the container's /etc/passwd, not the host's
    await ok(['cp', `${name}:/rootlink/etc/passwd`, join(dest, 'passwd')]);
    assert.equal(readFileSync(join(dest, 'passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\ntester:x:4321:4321::/:/bin/sh\n');

    // in: through the links, into the container's own root
    const src = user.dir('links-src');
    writeFileSync(join(src, 'secret'), 'overwritten?\n');
    chownSync(join(src, 'secret'), user.uid, user.gid);
    // onto the link to a missing file: whatever lands, it lands inside
    await user.run(CLI, ['cp', join(src, 'secret'), `${name}:/x`]);
    await ok(['cp', join(src, 'secret'), `${name}:/dirlink/`]);
    await ok(['cp', join(src, 'secret'), `${name}:/rootlink${secretDir}/other`]);
    assert.equal(readFileSync(secret, 'utf8'), 'host secret\n', 'the host\'s file is untouched');
    assert.deepEqual(readdirSync(secretDir), ['secret']);
    assert.equal(await ok(['exec', name, 'cat', `${secretDir}/secret`, `${secretDir}/other`]), 'overwritten?\noverwritten?\n');

    await ok(['stop', '-t', '0', name]);
    await ok(['cp', join(src, 'secret'), `${name}:/dirlink/again`]);
    assert.deepEqual(readdirSync(secretDir), ['secret']);
    assert.equal(readFileSync(secret, 'utf8'), 'host secret\n');
    await ok(['rm', name]);
    assert.deepEqual(foreignIn(store), []);
    assert.deepEqual(notUsers(join(user.home, 'tmp')).filter((o) => !o.path.startsWith(join(user.home, 'tmp', 'moby-dick'))), []);
  });

  test('diff and commit: changes read in the user namespace (a directory of the range the user cannot read too), an opaque directory and a deletion kept, owners mapped back in the layer; the image runs again as the user', async () => {
    const name = named('commit');
    await ok(['run', '--name', name, '--network', 'none', ref(), 'sh', '-c',
      'echo new > /added && rm /bin/true && rm -rf /data && mkdir /data && echo fresh > /data/new && chown 1000:2000 /data/new && chmod 600 /data/new && mkdir /priv && echo p > /priv/f && chown -R 1234:1234 /priv && chmod 700 /priv']);
    const diff = await ok(['diff', name]);
    assert.equal(diff, 'A /added\nC /bin\nD /bin/true\nC /data\nA /data/new\nA /priv\nA /priv/f\n');

    const tag = `mdk-test/rl3-committed-${process.pid}:v1`;
    const id = (await ok(['commit', '-m', 'rootless', name, tag])).trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const r = await ok(['run', '--rm', '--network', 'none', tag, 'sh', '-c',
      'cat /added /data/new; ls -A /data; stat -c "%u %g %a" /data/new /priv /priv/f; test -e /bin/true || echo gone; id -u']);
    assert.equal(r, 'new\nfresh\nnew\n1000 2000 600\n1234 1234 700\n1234 1234 644\ngone\n0\n');
    const history = await ok(['history', '--format', '{{.Comment}}', tag]);
    assert.equal(history.split('\n')[0], 'rootless');

    // the new layer in the store: owners in the range again, the opaque directory marked as the rootless store marks it
    const layers = join(store, 'layers');
    const top = readdirSync(layers).map((n) => join(layers, n, 'diff')).find((d) => { try { return lstatSync(join(d, 'added')).isFile(); } catch { return false; } });
    assert.ok(top, 'the committed layer is in the store');
    assert.deepEqual([lstatSync(join(top, 'data/new')).uid, lstatSync(join(top, 'data/new')).gid], [user.sub!.start + 999, user.sub!.start + 1999]);
    assert.equal(lstatSync(join(top, 'added')).uid, user.uid);
    const opq = openSync(join(top, 'data'), 'r');
    try {
      assert.equal(nativeAddon().getXattrAt(opq, Buffer.alloc(0), 'user.overlay.opaque')?.toString(), 'y');
    } finally {
      closeSync(opq);
    }
    assert.deepEqual(foreignIn(store), []);

    // a running container: committed without pausing; with the default pause, refused in one line where it cannot be paused
    const live = named('commit-live');
    await ok(['run', '-d', '--name', live, '--network', 'none', ref(), 'sh', '-c', 'echo live > /live && touch /ready && exec sleep 1000']);
    for (let i = 0; i < 100 && (await user.run(CLI, ['exec', live, 'test', '-e', '/ready'])).code !== 0; i++) await new Promise((res) => setTimeout(res, 50));
    await ok(['commit', '--pause=false', live, `${tag}-live`]);
    // no cgroup v2 subtree is delegated to the test user on this host: nothing to freeze
    const images = await ok(['images', '-q']);
    const paused = await user.run(CLI, ['commit', live]);
    assert.equal(paused.code, 1);
    assert.match(paused.stderr, /^moby-dick: cannot pause container \S+ to commit it \(rootless: .*no cgroup.*\) \(commit with --pause=false, or stop the container first\)\n$/);
    assert.equal(await ok(['images', '-q']), images, 'no image made');
    assert.equal(await ok(['run', '--rm', '--network', 'none', `${tag}-live`, 'cat', '/live']), 'live\n');
    await ok(['rm', '-f', live, name]);
    await ok(['rmi', tag, `${tag}-live`]);
    assert.deepEqual(foreignIn(store), []);
  });
});
