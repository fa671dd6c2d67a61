/**
 * What scripts and Docker users notice of the command line, run through
 * the built CLI in a store of the test's own: Docker's words moby-dick
 * lacks and typos refused (a host program still runs), flags after
 * operands, Docker's exit codes (125 for flags and run's own errors, 1
 * elsewhere), help, checked flag values, `run -it` without a terminal,
 * a closed pipe, the memory floor, a taken port, and the table layout.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, PROJECT, run, until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

/** one line on stderr, starting with moby-dick: */
function oneLine(stderr: string): void {
  assert.match(stderr, /^moby-dick: [^\n]+\n$/, stderr);
}

describe('cli: what scripts notice', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w, () => mdk('network', 'prune', '-f'));

  const runD = async (...args: string[]): Promise<string> => {
    const r = await mdk('run', '-d', ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  /** the store's containers, all of them */
  const containers = async (): Promise<string> => (await mdk('ps', '-aq')).stdout;

  test("Docker's commands moby-dick lacks and typos: one line, exit 1, nothing run; a host program runs; -- forces the original form", async () => {
    for (const word of ['swarm', 'init', 'stack', 'buildx']) {
      const r = await mdk(word, 'ls');
      assert.equal(r.code, 1, `${word}: ${r.stderr}`);
      assert.equal(r.stderr, `moby-dick: '${word}' is a Docker command moby-dick does not have (see 'moby-dick --help')\n`);
      assert.equal(r.stdout, '');
    }
    const typo = await mdk('imgaes');
    assert.equal(typo.code, 1);
    assert.equal(typo.stderr, "moby-dick: 'imgaes' is not a moby-dick command: did you mean images? (see 'moby-dick --help')\n");
    assert.match((await mdk('netwrok', 'ls')).stderr, /did you mean network\?/);
    // ls is one edit from ps, and a program on PATH: it runs, isolated
    const ls = await mdk('ls', '-d', '/');
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, '/\n');
    // -- runs whatever follows as a host program: there is no program swarm
    const forced = await mdk('--', 'swarm');
    assert.equal(forced.code, 127);
    assert.match(forced.stderr, /exec: "swarm": executable file not found/);
    // a group's sub-command
    const sub = await mdk('network', 'craete', 'x');
    assert.equal(sub.code, 1);
    assert.match(sub.stderr, /unknown command "craete" for "moby-dick network": did you mean create\?/);
    assert.equal(await containers(), '');
  });

  test('flags after operands, as Docker reads them; run and exec pass them to the command', async () => {
    const id = await runD('--name', 'mdk-test-flags', w.image, 'sh', '-c', 'echo one; echo two; sleep 60');
    await until(async () => (await mdk('logs', 'mdk-test-flags')).stdout === 'one\ntwo\n');
    assert.equal((await mdk('logs', 'mdk-test-flags', '--tail', '1')).stdout, 'two\n');
    assert.equal((await mdk('inspect', 'mdk-test-flags', '--format', '{{.Id}}')).stdout, `${id}\n`);
    assert.equal((await mdk('exec', 'mdk-test-flags', 'echo', '-f', '--format')).stdout, '-f --format\n');
    assert.equal((await mdk('run', '--rm', '--network', 'none', w.image, 'echo', '--rm', '-d')).stdout, '--rm -d\n');
    const net = await mdk('network', 'create', 'mdk-test-flagnet', '--internal');
    assert.equal(net.code, 0, net.stderr);
    assert.match((await mdk('network', 'inspect', 'mdk-test-flagnet')).stdout, /"Internal": true/);
    assert.equal((await mdk('network', 'rm', 'mdk-test-flagnet')).code, 0);
    const dir = mkdtempSync(join(tmpdir(), 'mdk-test-cli-save-'));
    try {
      const saved = await mdk('save', w.image, '-o', join(dir, 'img.tar'));
      assert.equal(saved.code, 0, saved.stderr);
      assert.ok(existsSync(join(dir, 'img.tar')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // -f after the name is the flag, not a second container
    const rm = await mdk('rm', 'mdk-test-flags', '-f');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'mdk-test-flags\n');
    assert.equal(await containers(), '');
  });

  test("Docker's exit codes: 125 for a flag, 1 for the rest outside run and create; checked values refused before anything is done", async () => {
    await runD('--name', 'mdk-test-codes', w.image, 'sleep', '60');
    const cases: [string[], number, RegExp][] = [
      [['ps', '--bogus'], 125, /^moby-dick: unknown flag: --bogus \(see 'moby-dick ps --help'\)$/],
      [['kill', '-t', '5', 'mdk-test-codes'], 125, /unknown shorthand flag: 't' in -t/],
      [['stop', '-t', 'abc', 'mdk-test-codes'], 125, /invalid argument "abc" for "-t, --timeout" flag/],
      [['kill', '-s', 'NOSIG', 'mdk-test-codes'], 1, /^moby-dick: Invalid signal: NOSIG/],
      [['stop', '-s', 'NOSIG', 'mdk-test-codes'], 1, /^moby-dick: Invalid signal: NOSIG/],
      [['logs', '--tail', 'abc', 'mdk-test-codes'], 1, /invalid value for "tail": "abc"/],
      [['rm', 'mdk-test-nothing'], 1, /No such container: mdk-test-nothing/],
      [['pause'], 1, /"moby-dick pause" requires at least 1 argument/],
      [['help', 'nosuch'], 1, /unknown help topic: nosuch/],
      [['ps', '--format', '{{.Nope}}'], 1, /can't evaluate field Nope/],
      [['run', '--memory', 'lots', w.image, 'true'], 125, /invalid argument "lots" for "--memory" flag/],
      [['run'], 1, /"moby-dick run" requires at least 1 argument/],
    ];
    for (const [args, code, message] of cases) {
      const t0 = Date.now();
      const r = await mdk(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      oneLine(r.stderr);
      assert.match(r.stderr.trimEnd(), message, args.join(' '));
      assert.doesNotMatch(r.stderr, /RangeError|^\s+at /m);
      assert.ok(Date.now() - t0 < 5000, `${args.join(' ')}: at once`);
    }
    assert.match((await mdk('ps', '--format', '{{.Names}} {{.State}}')).stdout, /^mdk-test-codes running$/m, 'nothing was stopped or killed');
  });

  test('help: `help COMMAND`, --help and -h of every kind of command', async () => {
    const help = await mdk('help', 'run');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: moby-dick run \[OPTIONS\] IMAGE/);
    assert.match((await mdk('help', 'network', 'create')).stdout, /^Usage: moby-dick network create /);
    for (const args of [['wait', '--help'], ['inspect', '--help'], ['logs', 'x', '-h'], ['network', 'create', '-h'], ['system', 'service', '-h'], ['volume', 'ls', '--help']]) {
      const r = await mdk(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: moby-dick /, args.join(' '));
    }
  });

  test('run -it without a terminal: refused at once, nothing created', async () => {
    const r = await mdk('run', '-it', '--rm', w.image, 'sh');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "moby-dick: the input device is not a TTY (leave out -t, or run from a terminal)\n");
    assert.equal(await containers(), '');
    const id = await runD('--name', 'mdk-test-notty', w.image, 'sleep', '60');
    const x = await mdk('exec', '-it', id, 'sh');
    assert.equal(x.code, 1);
    assert.match(x.stderr, /the input device is not a TTY/);
  });

  test('a reader that goes away: logs -f and ps end quietly, no EPIPE trace', async () => {
    // more than a pipe holds, then it waits: logs -f writes on after head has gone
    await runD('--name', 'mdk-test-pipe', w.image, 'sh', '-c', 'seq 1 100000; sleep 60');
    await until(async () => (await mdk('logs', '--tail', '1', 'mdk-test-pipe')).stdout === '100000\n', 15_000);
    for (const line of [`${CLI} logs -f mdk-test-pipe | head -n 2`, `${CLI} ps -a | head -c 0`]) {
      const r = await run('sh', ['-c', line], { env: w.env.env, timeoutMs: 15_000 });
      assert.equal(r.code, 0, `${line}: ${r.stderr}`);
      assert.equal(r.stderr, '', line);
      if (line.includes('logs')) assert.equal(r.stdout, '1\n2\n');
    }
    // and its status is SIGPIPE's, as Docker's CLI's
    const status = await run('bash', ['-c', `set -o pipefail; ${CLI} logs -f mdk-test-pipe | head -n 1 >/dev/null`], { env: w.env.env, timeoutMs: 15_000 });
    assert.equal(status.code, 141, status.stderr);
    assert.equal(status.stderr, '');
  });

  test("--memory below Docker's floor: Docker's words, nothing left", async () => {
    const r = await mdk('run', '--rm', '--memory', '1k', w.image, 'true');
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'moby-dick: Minimum memory limit allowed is 6MB\n');
    assert.equal(await containers(), '');
  });

  test('run -p on a taken host port: the error, and no Created container left', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await mdk('run', '-d', '--name', 'mdk-test-taken-port', '-p', `${port}:80`, w.image, 'sleep', '60');
      assert.equal(r.code, 125);
      assert.match(r.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
      assert.equal(await containers(), '');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("on a terminal, run ends without a blank line; tables have Docker's minimum column width", async () => {
    const r = await run('python3', [`${PROJECT}test/helpers/pty-driver.py`, '24', '80', '[]', CLI, 'run', '--rm', '--network', 'none', w.image, 'echo', 'hi'], { env: w.env.env, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, 'hi\r\n');
    assert.equal((await mdk('ps')).stdout, 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
  });
});
