/**
 * The engine as an ordinary user (rootless): the group forms of the
 * commands (`container ls`, `image ls`, `container prune`, `image prune`)
 * as their top-level ones, and `info`, `events`, `attach` and `import`,
 * which read or write only the user's store and containers. `push` stays
 * refused in one line. The image is served on 127.0.0.1 by this test and
 * pulled by the user.
 */
import assert from 'node:assert/strict';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { busyboxTar, useRootlessBusybox } from '../helpers/rootless-image.js';
import type { TestUser } from '../helpers/test-user.js';

describe('rootless engine: group forms, info, events, attach, prunes, import as an ordinary user', () => {
  let user: TestUser;
  let store: string;
  let image = '';

  useRootlessBusybox('mdk-test/rootless6', (m) => ({ user, store, image } = m));

  const ok = async (...args: string[]): Promise<string> => {
    const r = await user.run(CLI, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  test('container ls and image ls as ps and images; info of the user\'s store; events of the user\'s containers', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = `mdk-test-rl6-ev${process.pid}`;
    await ok('create', '--network', 'none', '--name', name, image, 'true');
    try {
      assert.equal(await ok('container', 'ls', '-a', '--format', '{{.Names}}'), `${name}\n`);
      assert.equal(await ok('container', 'ls', '-a', '--format', '{{.Names}}'), await ok('ps', '-a', '--format', '{{.Names}}'));
      assert.equal(await ok('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'), `${image}\n`);
      assert.equal(await ok('info', '--format', '{{.DockerRootDir}} {{.Containers}} {{.Images}}'), `${store} 1 1\n`);
      const events = await ok('events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1));
      assert.match(events, new RegExp(`container create [0-9a-f]{64} \\(.*name=${name}`), events);
    } finally {
      await ok('rm', name);
    }
  });

  test('attach: the output of a running container until it exits; container prune removes the stopped ones only; image prune', async () => {
    const running = `mdk-test-rl6-run${process.pid}`;
    const attached = `mdk-test-rl6-att${process.pid}`;
    const created = `mdk-test-rl6-new${process.pid}`;
    await ok('run', '-d', '--network', 'none', '--name', running, image, 'sleep', '600');
    try {
      await ok('run', '-d', '--network', 'none', '--name', attached, image, 'sh', '-c', 'sleep 2; echo attached-out');
      assert.equal(await ok('attach', attached), 'attached-out\n');
      await ok('create', '--network', 'none', '--name', created, image, 'true');
      assert.match(await ok('container', 'prune', '-f'), /Total reclaimed space/);
      assert.equal(await ok('ps', '-a', '--format', '{{.Names}}'), `${running}\n`, 'the stopped ones removed, the running one kept');
      assert.match(await ok('image', 'prune', '-f'), /Total reclaimed space/);
      assert.equal(await ok('images', '--format', '{{.Repository}}:{{.Tag}}'), `${image}\n`, 'the image in use kept');
    } finally {
      await user.run(CLI, ['rm', '-f', running, attached, created]);
    }
  });

  test('import: a tar of the user\'s made an image that runs; push refused in one line', async () => {
    const tar = join(user.home, 'tmp', 'rootfs.tar');
    writeFileSync(tar, busyboxTar());
    chownSync(tar, user.uid, user.gid);
    const ref = 'mdk-test/rl6-imported:1';
    await ok('import', tar, ref);
    try {
      assert.equal(await ok('run', '--rm', '--network', 'none', ref, 'sh', '-c', 'id -u; stat -c %u /bin'), '0\n0\n');
    } finally {
      await ok('rmi', ref);
    }
    const push = await user.run(CLI, ['push', ref]);
    assert.equal(push.code, 1, push.stderr);
    assert.equal(push.stderr.trim().split('\n').length, 1, push.stderr);
    assert.match(push.stderr, /^moby-dick: push: not available to an ordinary user yet/);
  });
});
