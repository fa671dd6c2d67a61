/**
 * Docker behaviour of the CLI that needs real containers, through the built
 * CLI in a store of the test's own: `ps --filter publish=/expose=/isolation=`
 * and PORTS with exposed ports,
 * a foreground `run -i --rm` whose CLI is killed (its stdin closed, as
 * Docker's StdinOnce, so the container ends and --rm removes it), and
 * `--ipc container:NAME` sharing the donor's /dev/shm; flags that were
 * ignored (create --rootfs, network rm -f).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { CLI, sleep, until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

describe('cli: Docker parity with real containers', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w, () => mdk('network', 'prune', '-f'));

  const runD = async (...args: string[]): Promise<string> => {
    const r = await mdk('run', '-d', ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const names = async (...filters: string[]): Promise<string[]> => {
    const r = await mdk('ps', '-a', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Names}}');
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean).sort();
  };

  test('ps --filter publish= (a host port), expose= (a container port), isolation=default; wrong values refused', async () => {
    await runD('--name', 'mdk-test-pub', '-p', '127.0.0.1::80', w.image, 'sleep', '60');
    await runD('--name', 'mdk-test-exp', '--network', 'none', '--expose', '8080', '--expose', '53/udp', w.image, 'sleep', '60');
    const port = (await mdk('port', 'mdk-test-pub', '80')).stdout.trim().split(':').pop()!;
    assert.match(port, /^\d+$/);
    assert.deepEqual(await names(`publish=${port}`), ['mdk-test-pub']);
    assert.deepEqual(await names(`publish=${port}/udp`), []);
    assert.deepEqual(await names('expose=80'), ['mdk-test-pub']);
    assert.deepEqual(await names('expose=8000-8080/tcp'), ['mdk-test-exp']);
    assert.deepEqual(await names('expose=53/udp'), ['mdk-test-exp']);
    assert.deepEqual(await names('expose=53'), []);
    assert.deepEqual(await names('isolation=default'), ['mdk-test-exp', 'mdk-test-pub']);
    // PORTS as Docker's: the exposed ports too, grouped, the mappings after them
    const ports = async (name: string) => (await mdk('ps', '--filter', `name=${name}`, '--format', '{{.Ports}}')).stdout;
    assert.equal(await ports('mdk-test-pub'), `127.0.0.1:${port}->80/tcp\n`);
    assert.equal(await ports('mdk-test-exp'), '53/udp, 8080/tcp\n');
    assert.deepEqual(await names('isolation=hyperv'), []);
    const bad = await mdk('ps', '--filter', 'publish=0.0.0.0:80');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /filter for 'publish' should not contain ':': 0\.0\.0\.0:80/);
    // a stopped container has no ports to match (Docker lists none for it)
    assert.equal((await mdk('stop', '-t', '0', 'mdk-test-exp')).code, 0);
    assert.deepEqual(await names('expose=8080'), []);
  });

  test("--ipc container:NAME shares the donor's /dev/shm both ways (its tmpfs, its size), as Docker; the donor's own stays its own", async () => {
    await runD('--name', 'mdk-test-shm', '--ipc', 'shareable', '--shm-size', '8m', '--network', 'none', w.image, 'sh', '-c', 'echo from-donor > /dev/shm/d; exec sleep 60');
    await until(async () => (await mdk('exec', 'mdk-test-shm', 'cat', '/dev/shm/d')).stdout === 'from-donor\n');
    const joined = await mdk('run', '--rm', '--network', 'none', '--ipc', 'container:mdk-test-shm', w.image, 'sh', '-c',
      'cat /dev/shm/d; echo from-joiner > /dev/shm/j; df -k /dev/shm | tail -1 | awk \'{print $2}\'; grep " /dev/shm " /proc/mounts | cut -d" " -f3');
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, 'from-donor\n8192\ntmpfs\n');
    assert.equal((await mdk('exec', 'mdk-test-shm', 'cat', '/dev/shm/j')).stdout, 'from-joiner\n');
    // a container of its own IPC namespace has a /dev/shm of its own
    const own = await mdk('run', '--rm', '--network', 'none', w.image, 'ls', '/dev/shm');
    assert.equal(own.code, 0, own.stderr);
    assert.equal(own.stdout, '');
  });

  test('create refuses run\'s --rootfs (it was ignored); network rm -f: no error for a missing network, as Docker', async () => {
    const create = await mdk('create', '--rootfs', '/', w.image, 'true');
    assert.equal(create.code, 125);
    assert.match(create.stderr, /unknown flag: --rootfs/);
    assert.equal((await mdk('ps', '-aq')).stdout, '');
    const forced = await mdk('network', 'rm', '-f', 'mdk-test-no-such-net');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, '');
    const plain = await mdk('network', 'rm', 'mdk-test-no-such-net');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /network mdk-test-no-such-net not found/);
  });

  test('a foreground run -i --rm whose CLI is killed: its stdin closes (StdinOnce), it ends and --rm removes it', async () => {
    // the CLI's stdin stays open (a pipe we never end): only its death can end cat's input
    const cli = spawn(CLI, ['run', '-i', '--rm', '--name', 'mdk-test-stdin-once', '--network', 'none', w.image, 'cat'], {
      env: w.env.env,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const gone = new Promise((r) => cli.on('exit', r));
    try {
      await until(async () => (await names('status=running')).includes('mdk-test-stdin-once'));
      cli.kill('SIGKILL');
      await gone;
      await until(async () => (await names()).length === 0, 10_000);
    } finally {
      cli.kill('SIGKILL');
    }
  });

  test('attach killed: a create -i container (StdinOnce) gets EOF and ends; a run -d -i one (no StdinOnce) keeps its stdin open', async () => {
    assert.equal((await mdk('create', '-i', '--name', 'mdk-test-once', '--network', 'none', w.image, 'cat')).code, 0);
    assert.equal((await mdk('start', 'mdk-test-once')).code, 0);
    await runD('-i', '--name', 'mdk-test-open', '--network', 'none', w.image, 'cat');
    const config = async (name: string) => (await mdk('inspect', '--format', '{{.Config.OpenStdin}} {{.Config.StdinOnce}}', name)).stdout.trim();
    assert.equal(await config('mdk-test-once'), 'true true');
    assert.equal(await config('mdk-test-open'), 'true false');
    for (const name of ['mdk-test-once', 'mdk-test-open']) {
      const cli = spawn(CLI, ['attach', name], { env: w.env.env, stdio: ['pipe', 'ignore', 'ignore'] });
      const gone = new Promise((r) => cli.on('exit', r));
      try {
        // attached once what it sends reaches cat (its echo in the log); then killed
        cli.stdin!.write('attached\n');
        await until(async () => (await mdk('logs', name)).stdout === 'attached\n', 10_000);
        cli.kill('SIGKILL');
        await gone;
      } finally {
        cli.kill('SIGKILL');
      }
    }
    await until(async () => (await names('status=exited')).includes('mdk-test-once'), 10_000);
    await sleep(500);
    assert.deepEqual(await names('status=running'), ['mdk-test-open']);
  });

  test('a foreground run --rm whose CLI is killed keeps running, as Docker, and --rm removes it when it ends', async () => {
    const cli = spawn(CLI, ['run', '--rm', '--name', 'mdk-test-outlives', '--network', 'none', w.image, 'sh', '-c', 'sleep 2'], {
      env: w.env.env,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const gone = new Promise((r) => cli.on('exit', r));
    try {
      await until(async () => (await names('status=running')).includes('mdk-test-outlives'));
      cli.kill('SIGKILL');
      await gone;
      assert.deepEqual(await names('status=running'), ['mdk-test-outlives']);
      await until(async () => (await names()).length === 0, 10_000);
    } finally {
      cli.kill('SIGKILL');
    }
  });
});
