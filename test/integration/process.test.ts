/** The process, as a user of `docker run` expects it: exit codes, signals, stdio, env, cwd, user. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FORWARDED_SIGNALS } from '../../src/linux/signals.js';
import { mdk, startCli } from '../helpers/cli.js';
import { useRootfs } from '../helpers/fixtures.js';

describe('the container process', () => {
  const fx = useRootfs('mdk-test-marker');
  const run = (args: string[], extra: string[] = [], input?: string | Buffer) =>
    mdk(['run', ...extra, '--rootfs', fx.rootfs, ...args], { input });

  test('the exit status is the command\'s', async () => {
    for (const code of [0, 1, 3, 42, 255]) {
      assert.equal((await run(['sh', '-c', `exit ${code}`])).code, code);
      assert.equal((await mdk(['sh', '-c', `exit ${code}`])).code, code);
    }
  });

  test('128+N when the command dies from signal N', async () => {
    assert.equal((await run(['sh', '-c', 'kill -9 $$'], ['--init'])).code, 137);
    assert.equal((await mdk(['--init', 'sh', '-c', 'kill -SEGV $$'])).code, 139);
  });

  for (const sig of FORWARDED_SIGNALS) {
    test(`${sig} sent to moby-dick reaches the container`, async () => {
      const name = sig.slice(3);
      const script = `trap "echo got ${name}; exit 10" ${name}; echo ready; while :; do sleep 0.05; done # mdk-test-marker`;
      const live = startCli(['run', '--rootfs', fx.rootfs, 'sh', '-c', script]);
      await live.waitFor('ready');
      process.kill(live.pid, sig);
      const r = await live.done;
      assert.equal(r.stdout, `ready\ngot ${name}\n`, r.stderr);
      assert.equal(r.code, 10);
    });
  }

  test('a signal the command does not handle ends it with 128+N under --init', async () => {
    const live = startCli(['--init', 'sh', '-c', 'echo ready; sleep 60 # mdk-test-marker']);
    await live.waitFor('ready');
    process.kill(live.pid, 'SIGTERM');
    const r = await live.done;
    assert.equal(r.code, 143, r.stderr);
  });

  test('stdin passes through: `echo hi | moby-dick cat` prints hi', async () => {
    const r = await mdk(['cat'], { input: 'hi\n' });
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 0);
  });

  test('run: -i passes stdin, without it stdin is empty', async () => {
    assert.equal((await run(['cat'], ['-i'], 'hello\n')).stdout, 'hello\n');
    const r = await run(['cat'], [], 'hello\n');
    assert.equal(r.stdout, '');
    assert.equal(r.code, 0);
  });

  test('large outputs and inputs are not truncated', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const sha = createHash('sha256').update(data).digest('hex');
    const r = await run(['sha256sum'], ['-i'], data);
    assert.equal(r.stdout.split(' ')[0], sha);
    const big = await mdk(['head', '-c', '30000000', '/dev/zero']);
    assert.equal(big.stdout.length, 30_000_000);
  });

  test('stdout and stderr stay apart', async () => {
    const r = await run(['sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('-e KEY=VAL and --env-file set the environment; Docker\'s defaults are there', async () => {
    const file = join(fx.rootfs, '..', `mdk-test-env-${process.pid}`);
    writeFileSync(file, '# comment\nFROM_FILE=file\nBOTH=file\n');
    try {
      const r = await run(['env'], ['-e', 'FOO=bar baz', '--env-file', file, '-e', 'BOTH=flag']);
      const env = new Set(r.stdout.trim().split('\n'));
      for (const e of ['FOO=bar baz', 'FROM_FILE=file', 'BOTH=flag', 'HOSTNAME=containerhostname', 'HOME=/root',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']) {
        assert.ok(env.has(e), `${e} in ${r.stdout}`);
      }
      assert.ok(!env.has('BOTH=file'));
    } finally {
      rmSync(file);
    }
  });

  test('-w sets the working directory', async () => {
    assert.equal((await run(['pwd'], ['-w', '/tmp'])).stdout, '/tmp\n');
    assert.equal((await mdk(['-w', '/usr', 'pwd'])).stdout, '/usr\n');
  });

  test('-u UID[:GID] runs as that user, without capabilities', async () => {
    const r = await run(['sh', '-c', 'id; grep -E "CapEff|CapPrm" /proc/self/status'], ['-u', '1000:1001']);
    assert.match(r.stdout, /^uid=1000 gid=1001/);
    assert.match(r.stdout, /CapPrm:\s+0000000000000000/);
    assert.match(r.stdout, /CapEff:\s+0000000000000000/);
    assert.match((await mdk(['-u', '65534', 'id', '-u'])).stdout, /^65534$/m);
  });

  test('-w creates a missing directory in the jail, as Docker does', async () => {
    const r = await run(['pwd'], ['-u', '1000', '-w', '/mdk-test-workdir/sub']);
    assert.equal(r.stdout, '/mdk-test-workdir/sub\n', r.stderr);
    rmSync(join(fx.rootfs, 'mdk-test-workdir'), { recursive: true });
  });

  test('a missing -w on the host view is a sentence, not a stack trace', async () => {
    const r = await mdk(['-w', '/nonexistent-mdk-test', 'pwd']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'moby-dick: cannot change to working directory "/nonexistent-mdk-test": no such file or directory (give -w a directory that exists in the container)\n');
  });
});
