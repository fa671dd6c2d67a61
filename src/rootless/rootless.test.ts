import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { commandOf, refuseRootlessEngine, refuseRootlessLimits, userDataHome, userRuntimeDir } from './rootless.js';

describe('rootless directories', () => {
  test('$XDG_RUNTIME_DIR first, then /run/user/UID when it is the user\'s own (0700), else a 0700 directory under TMPDIR', () => {
    const uid = process.geteuid!();
    assert.equal(userRuntimeDir({ XDG_RUNTIME_DIR: '/somewhere' }, uid), '/somewhere');
    const tmp = mkdtempSync(join(tmpdir(), 'mdk-rootless-unit-'));
    try {
      const runUser = join(tmp, 'run-user');
      mkdirSync(join(runUser, String(uid)), { recursive: true, mode: 0o700 });
      assert.equal(userRuntimeDir({ TMPDIR: tmp }, uid, runUser), join(runUser, String(uid)));
      // others may enter it: not taken
      chmodSync(join(runUser, String(uid)), 0o755);
      const dir = userRuntimeDir({ TMPDIR: tmp }, uid, runUser);
      assert.equal(dir, join(tmp, `moby-dick-run-${uid}`));
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      // a second call takes the same one
      assert.equal(userRuntimeDir({ TMPDIR: tmp }, uid, runUser), dir);
      // one that others may write is refused
      chmodSync(dir, 0o777);
      assert.throws(() => userRuntimeDir({ TMPDIR: tmp }, uid, runUser), /is not a directory of yours/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('$XDG_DATA_HOME, else ~/.local/share', () => {
    assert.equal(userDataHome({ XDG_DATA_HOME: '/d' }), '/d');
    assert.equal(userDataHome({ HOME: '/home/u' }), '/home/u/.local/share');
  });

  test('no limits asked: nothing refused', () => {
    assert.doesNotThrow(() => refuseRootlessLimits([]));
    assert.throws(() => refuseRootlessLimits(['--memory']), /--memory: cgroup limits are not available/);
  });
  test('as an ordinary user: the image and container commands pass, networks and the rest are refused in one line each; nothing as root', () => {
    assert.doesNotThrow(() => refuseRootlessEngine('pull', true));
    assert.doesNotThrow(() => refuseRootlessEngine('rmi', true));
    assert.throws(() => refuseRootlessEngine('network', true), /^MobyDickError: network: networks need root \(rootless: bridges/);
    assert.doesNotThrow(() => refuseRootlessEngine('ps', true));
    assert.doesNotThrow(() => refuseRootlessEngine('volume', true));
    assert.doesNotThrow(() => refuseRootlessEngine('export', true));
    for (const c of ['top', 'stats', 'system service']) assert.doesNotThrow(() => refuseRootlessEngine(c, true));
    for (const c of ['pause', 'unpause', 'update', 'restart', 'rename', 'system df']) assert.doesNotThrow(() => refuseRootlessEngine(c, true), c);
    for (const c of ['build', 'rootless-build-step']) assert.doesNotThrow(() => refuseRootlessEngine(c, true), c);
    assert.throws(() => refuseRootlessEngine('system prune', true), /^MobyDickError: system prune: not available to an ordinary user yet \(rootless: images, build, volumes, containers, their files \(cp, diff, commit, export\), the original form/);
    assert.doesNotThrow(() => refuseRootlessEngine('network', false));
  });
  test('the command of the CLI\'s words: a group\'s subcommand by its top-level name, system X whole', () => {
    assert.equal(commandOf([]), 'moby-dick');
    assert.equal(commandOf(['ps']), 'ps');
    assert.equal(commandOf(['run', 'busybox']), 'run');
    for (const sub of ['ls', 'list', 'ps']) assert.equal(commandOf(['container', sub]), 'ps');
    assert.equal(commandOf(['container', 'remove', 'x']), 'rm');
    assert.equal(commandOf(['container', 'prune']), 'container prune');
    assert.equal(commandOf(['container', 'attach', 'x']), 'attach');
    for (const sub of ['ls', 'list']) assert.equal(commandOf(['image', sub]), 'images');
    assert.equal(commandOf(['image', 'rm', 'x']), 'rmi');
    assert.equal(commandOf(['image', 'prune']), 'image prune');
    assert.equal(commandOf(['image', 'push', 'x']), 'push');
    assert.equal(commandOf(['system', 'prune']), 'system prune');
    assert.equal(commandOf(['network', 'ls']), 'network');
    assert.equal(commandOf(['volume', 'ls']), 'volume');
  });
  test('as an ordinary user: container ls, image ls, info, events, attach, the prunes of containers and images and import pass; push and system prune are refused', () => {
    for (const words of [['container', 'ls'], ['image', 'ls'], ['info'], ['system', 'info'], ['events'], ['attach', 'x'], ['container', 'prune'], ['image', 'prune'], ['import', 'f']]) {
      assert.doesNotThrow(() => refuseRootlessEngine(commandOf(words), true), words.join(' '));
    }
    for (const words of [['push', 'x'], ['image', 'push', 'x'], ['system', 'prune']]) assert.throws(() => refuseRootlessEngine(commandOf(words), true), /not available to an ordinary user yet/, words.join(' '));
  });
});
