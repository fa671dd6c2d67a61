/** Bad input and failures: one line that says what to do, Docker's exit codes, no stack traces. */
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, mdk, run } from '../helpers/cli.js';
import { useRootfs } from '../helpers/fixtures.js';

const oneLine = (s: string): void => {
  assert.equal(s.split('\n').length, 2, `one line: ${s}`);
  assert.doesNotMatch(s, /^\s+at /m, 'no stack trace');
};

describe('errors', () => {
  const fx = useRootfs();

  // (what an ordinary user can run, rootless, is rootless.test's)
  test('not root: what needs root yet is one line, exit 125', async () => {
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CLI, 'run', '--rm', 'busybox', 'true']);
    assert.equal(r.code, 125);
    oneLine(r.stderr);
    // (nobody has no home of its own: the store under it cannot be made)
    assert.match(r.stderr, /^moby-dick: cannot use the image store at \S+: EACCES/);
  });

  test('unknown flag: usage, exit 125', async () => {
    for (const args of [['--bogus', 'true'], ['run', '--bogus', '--rootfs', fx.rootfs, 'true']]) {
      const r = await mdk(args);
      assert.equal(r.code, 125);
      oneLine(r.stderr);
      assert.match(r.stderr, /^moby-dick: unknown flag: --bogus \(see 'moby-dick (run )?--help'\)\n$/);
    }
  });

  test('missing command: usage, exit 125', async () => {
    const none = await mdk([]);
    assert.equal(none.code, 125);
    assert.match(none.stderr, /^Usage: moby-dick \[OPTIONS\] COMMAND/);
    const run1 = await mdk(['run', '--rootfs', fx.rootfs]);
    assert.equal(run1.code, 125);
    assert.equal(run1.stderr, `moby-dick: "moby-dick run" requires a command to run (see 'moby-dick run --help')\n`);
    const nothing = await mdk(['run']);
    assert.equal(nothing.code, 1);
    assert.equal(nothing.stderr, "moby-dick: \"moby-dick run\" requires at least 1 argument (see 'moby-dick run --help')\n");
    // an image container's flag with --rootfs is refused, not lost (--network none is what the jail has anyway)
    const lost = await mdk(['run', '-p', '8080:80', '--rootfs', fx.rootfs, 'true']);
    assert.equal(lost.code, 125);
    assert.equal(lost.stderr, "moby-dick: --publish is for containers from an image; with --rootfs the container runs in the foreground, with only lo (see 'moby-dick run --help')\n");
    assert.equal((await mdk(['run', '--network', 'none', '--rootfs', fx.rootfs, 'true'])).code, 0);
    const flagsOnly = await mdk(['--hostname', 'x']);
    assert.equal(flagsOnly.code, 125);
    assert.match(flagsOnly.stderr, /^Usage: moby-dick \[OPTIONS\] COMMAND/);
  });

  test('command not found: exit 127 naming it', async () => {
    for (const args of [['mdk-test-nosuch'], ['run', '--rootfs', fx.rootfs, 'mdk-test-nosuch']]) {
      const r = await mdk(args);
      assert.equal(r.code, 127);
      oneLine(r.stderr);
      assert.match(r.stderr, /^moby-dick: exec: "mdk-test-nosuch": executable file not found in \$PATH/);
    }
    const path = await mdk(['run', '--rootfs', fx.rootfs, '/bin/mdk-test-nosuch']);
    assert.equal(path.code, 127);
    assert.equal(path.stderr, 'moby-dick: exec: "/bin/mdk-test-nosuch": no such file or directory\n');
  });

  test('not executable: exit 126', async () => {
    const file = join(fx.rootfs, 'mdk-test-noexec');
    writeFileSync(file, '#!/bin/sh\necho never\n');
    chmodSync(file, 0o644);
    try {
      const r = await mdk(['run', '--rootfs', fx.rootfs, '/mdk-test-noexec']);
      assert.equal(r.code, 126);
      assert.equal(r.stderr, 'moby-dick: exec: "/mdk-test-noexec": permission denied\n');
      assert.equal((await mdk(['run', '--rootfs', fx.rootfs, '/etc'])).code, 126);
    } finally {
      rmSync(file);
    }
  });

  test('rootfs missing or not a directory: exit 125 naming the path', async () => {
    const missing = await mdk(['run', '--rootfs', '/nonexistent/mdk-test', 'true']);
    assert.equal(missing.code, 125);
    oneLine(missing.stderr);
    assert.match(missing.stderr, /^moby-dick: rootfs \/nonexistent\/mdk-test: no such directory/);
    const file = await mdk(['run', '--rootfs', join(fx.rootfs, 'etc/passwd'), 'true']);
    assert.equal(file.code, 125);
    assert.equal(file.stderr, `moby-dick: rootfs ${join(fx.rootfs, 'etc/passwd')}: not a directory\n`);
  });

  test('bad option values are refused before anything is created', async () => {
    const user = await mdk(['-u', 'nobody', 'true']);
    assert.equal(user.code, 125);
    assert.match(user.stderr, /invalid user "nobody"/);
    const host = await mdk(['--hostname', 'x'.repeat(70), 'true']);
    assert.equal(host.code, 125);
    assert.match(host.stderr, /invalid hostname: .*must be 1 to 64 characters/);
    const env = await mdk(['--env-file', '/nonexistent/mdk-test-env', 'true']);
    assert.equal(env.code, 125);
    assert.match(env.stderr, /cannot read env file \/nonexistent\/mdk-test-env: ENOENT/);
  });

  test('a failing setup step becomes a sentence with the step, the path and the errno', async () => {
    // a regular file where the jail needs the /proc directory
    const proc = join(fx.rootfs, 'proc');
    rmSync(proc, { recursive: true, force: true });
    writeFileSync(proc, '');
    try {
      const r = await mdk(['run', '--rootfs', fx.rootfs, 'true']);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'moby-dick: container setup failed creating directory /proc: not a directory (ENOTDIR)\n');
    } finally {
      rmSync(proc);
    }
  });

  test('--help and --version work', async () => {
    const help = await mdk(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /moby-dick run \[OPTIONS\] --rootfs DIR/);
    const runHelp = await mdk(['run', '--help']);
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stdout, /--read-only/);
    assert.match((await mdk(['--version'])).stdout, /^moby-dick version \d+\.\d+\.\d+\n$/);
  });
});
