/**
 * build/moby-dick is the launcher (native/launcher): the image and container
 * commands start from the CLI's V8 startup snapshot with the Node binary
 * that made it, everything else — and everything, when the stamp does not
 * match that binary — from the bundle with `node` from PATH. Told apart
 * here by PATH: without node in PATH only the snapshot can start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileModule, readCache } from '../../src/cli/code-cache.js';
import { CLI, run } from '../helpers/cli.js';
import { useEngine } from '../helpers/engine-env.js';
import { makeBusyboxRootfs, removeRootfs, TEST_PREFIX } from '../helpers/rootfs.js';

const BUILD = dirname(CLI);
const FILES = ['moby-dick', 'moby-dick.blob', 'moby-dick.blob.stamp', 'moby-dick.cjs', 'moby-dick-cli.cjs', 'moby-dick-cli.cjs.cache', 'moby-dick-images.cjs', 'moby-dick-service.cjs', 'mdk-init', 'mdk-node.node'];
const NO_NODE = '/mdk-test-nowhere';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CLI launcher', () => {
  const w = useEngine();
  // inside build/, so that better-sqlite3 is found in the project's node_modules, as from build/ itself
  const dir = mkdtempSync(join(BUILD, `${TEST_PREFIX}cli-launcher-`));
  for (const f of FILES) copyFileSync(join(BUILD, f), join(dir, f));
  const launcher = join(dir, 'moby-dick');
  const stamp = join(dir, 'moby-dick.blob.stamp');
  const good = readFileSync(stamp, 'utf8');
  let rootfs = '';
  const mdk = (args: string[], path: string) =>
    run(launcher, args, { env: { ...w.env.env, PATH: path }, timeoutMs: 60_000 });
  before(() => {
    rootfs = makeBusyboxRootfs();
  });
  after(() => {
    removeRootfs(rootfs);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the stamp lists the commands the snapshot serves', () => {
    const lines = good.split('\n');
    assert.match(lines[2] ?? '', /^only run pull .* ps .* container-exited /);
    assert.equal(lines[3], 'except --rootfs');
  });

  test('system (the API server) starts from the bundles and is not in the snapshot; nor is dockerfile-ast', async () => {
    assert.doesNotMatch(good.split('\n')[2] ?? '', / system( |$)/);
    const snapshot = readFileSync(join(BUILD, 'moby-dick-snapshot.cjs'), 'utf8');
    assert.doesNotMatch(snapshot, /function createApiServer\(/, 'the API server is left out of the snapshot');
    assert.doesNotMatch(snapshot, /\bDockerfileParser = exports\d*\./, 'dockerfile-ast is required from node_modules');
    writeFileSync(stamp, good);
    const r = await mdk(['system', '--help'], NO_NODE);
    assert.equal(r.code, 127, r.stderr);
    const h = await mdk(['system', '--help'], dirname(process.execPath));
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /service/);
  });

  test("the bundle's code cache fits this Node, and the CLI runs without it too", async () => {
    const bundle = join(dir, 'moby-dick-cli.cjs');
    assert.equal(compileModule(bundle, readCache(bundle)).script.cachedDataRejected, false, 'the cache scripts/snapshot.mjs made is accepted');
    const cache = join(dir, 'moby-dick-cli.cjs.cache');
    const kept = readFileSync(cache);
    rmSync(cache);
    try {
      const jail = await mdk(['run', '--rootfs', rootfs, 'sh', '-c', 'echo uncached'], dirname(process.execPath));
      assert.equal(jail.code, 0, jail.stderr);
      assert.equal(jail.stdout, 'uncached\n');
    } finally {
      writeFileSync(cache, kept);
    }
  });

  test('an image command starts from the snapshot, with the Node binary that made it', async () => {
    writeFileSync(stamp, good);
    const r = await mdk(['run', '--rm', w.image, 'echo', 'from the snapshot'], NO_NODE);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from the snapshot\n');
    const ps = await mdk(['ps', '-aq'], NO_NODE);
    assert.equal(ps.code, 0, ps.stderr);
    assert.equal(ps.stdout, '', 'run --rm removed it');
  });

  test("a detached --rm container is removed by its monitor's container-exited, which starts the same way", async () => {
    writeFileSync(stamp, good);
    const r = await mdk(['run', '-d', '--rm', w.image, 'true'], NO_NODE);
    assert.equal(r.code, 0, r.stderr);
    let left = 'not asked';
    for (let i = 0; i < 100 && left !== ''; i++) {
      await sleep(100);
      left = (await mdk(['ps', '-aq'], NO_NODE)).stdout;
    }
    assert.equal(left, '', 'removed once it exited');
  });

  test('--version, help, the original form and run --rootfs start from the bundle', async () => {
    writeFileSync(stamp, good);
    for (const args of [['--version'], ['help'], ['true'], ['--', 'ps'], ['run', '--rootfs', rootfs, 'true'], ['run', `--rootfs=${rootfs}`, 'true']]) {
      const r = await mdk(args, NO_NODE);
      assert.equal(r.code, 127, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^moby-dick: cannot run node: .*PATH/);
    }
    const v = await mdk(['--version'], dirname(process.execPath));
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^moby-dick version /);
    const jail = await mdk(['run', '--rootfs', rootfs, 'sh', '-c', 'echo jailed'], dirname(process.execPath));
    assert.equal(jail.code, 0, jail.stderr);
    assert.equal(jail.stdout, 'jailed\n');
  });

  test('NODE_EXTRA_CA_CERTS is not read as Node starts, and is back in the environment of what moby-dick runs', async () => {
    writeFileSync(stamp, good);
    const missing = `/${TEST_PREFIX}no-such-ca.pem`;
    const nodePath = `${dirname(process.execPath)}:/usr/bin:/bin`;
    const env = { ...w.env.env, PATH: nodePath, NODE_EXTRA_CA_CERTS: missing };
    // what the probe looks for: Node's warning when it reads the variable at its start
    const node = await run(process.execPath, ['-e', '0'], { env });
    assert.match(node.stderr, /Ignoring extra certs from/);
    const ps = await run(launcher, ['ps', '-aq'], { env }); // from the snapshot
    assert.equal(ps.code, 0, ps.stderr);
    assert.doesNotMatch(ps.stderr, /extra certs/);
    // the original form (from the bundle) passes its environment to the command
    const sh = await run(launcher, ['sh', '-c', 'echo "[$NODE_EXTRA_CA_CERTS] [${MOBY_DICK_DEFERRED_CA_CERTS-unset}]"'], { env });
    assert.equal(sh.code, 0, sh.stderr);
    assert.doesNotMatch(sh.stderr, /extra certs/);
    assert.equal(sh.stdout, `[${missing}] [unset]\n`);
  });

  test('a stamp without the command lists: the snapshot serves every command', async () => {
    writeFileSync(stamp, good.split('\n').slice(0, 2).join('\n') + '\n');
    const v = await mdk(['--version'], NO_NODE);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^moby-dick version /);
  });

  test('a stamp of another Node binary: every command from the bundle and `node` from PATH', async () => {
    const [node, , ...lists] = good.split('\n');
    writeFileSync(stamp, [node, '1 2 3 4', ...lists].join('\n'));
    const missing = await mdk(['ps', '-a'], NO_NODE);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot run node/);
    const r = await mdk(['run', '--rm', w.image, 'echo', 'from the bundle'], dirname(process.execPath));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from the bundle\n');
  });

  test("the API service starts with the stamp's Node options: a 1 MiB young generation, a slower-growing old one, gc", async () => {
    writeFileSync(stamp, good);
    const sock = join(dir, 'api.sock');
    const service = spawn(launcher, ['system', 'service', '--host', `unix://${sock}`, '--timeout', '0'], {
      env: { ...w.env.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    service.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      for (let i = 0; i < 200 && !existsSync(sock) && service.exitCode === null; i++) await sleep(50);
      assert.ok(existsSync(sock), `the service listens: ${log}`);
      const cmdline = readFileSync(`/proc/${service.pid}/cmdline`, 'utf8').split('\0');
      // Node's own options come before the `--` that ends them
      assert.deepEqual(cmdline.slice(0, 5), ['node', '--max-semi-space-size=1', '--heap-growing-percent=20', '--expose-gc', '--'], cmdline.join(' '));
      assert.deepEqual(cmdline.slice(6, 8), ['system', 'service']);
    } finally {
      if (service.exitCode === null && service.signalCode === null) {
        const exited = new Promise((r) => service.once('exit', r));
        service.kill('SIGTERM');
        await exited;
      }
    }
  });

  test("the stamp's options reach Node for the command lines they name, from the snapshot and the bundle, and only those", async () => {
    // node's own --version as the option: it answers instead of the command, so whether Node was given it shows
    const nodeVersion = `${process.version}\n`;
    const withNode = dirname(process.execPath);
    const lines = good.split('\n').filter((l) => !l.startsWith('options ') && l !== '');
    try {
      writeFileSync(stamp, [...lines, 'options ps --version', 'options system df --version', ''].join('\n'));
      const ps = await mdk(['ps', '-aq'], NO_NODE); // from the snapshot
      assert.equal(ps.stdout, nodeVersion, ps.stderr);
      const df = await mdk(['system', 'df'], withNode); // from the bundle
      assert.equal(df.stdout, nodeVersion, df.stderr);
      const help = await mdk(['system', '--help'], withNode); // `system` alone is not `system df`
      assert.match(help.stdout, /Usage: moby-dick system/);
      const images = await mdk(['images', '-q'], NO_NODE);
      assert.equal(images.code, 0, images.stderr);
      assert.notEqual(images.stdout, nodeVersion);
      // a stamp of another Node binary: the bundle, with the options still
      const [node, , ...rest] = lines;
      writeFileSync(stamp, [node, '1 2 3 4', ...rest, 'options ps --version', ''].join('\n'));
      const other = await mdk(['ps', '-aq'], withNode);
      assert.equal(other.stdout, nodeVersion, other.stderr);
      // too many options for a line: the line is left out, not cut short
      writeFileSync(stamp, [...lines, 'options ps --version --a --b --c --d', ''].join('\n'));
      const long = await mdk(['ps', '-aq'], NO_NODE);
      assert.equal(long.code, 0, long.stderr);
      assert.notEqual(long.stdout, nodeVersion);
    } finally {
      writeFileSync(stamp, good);
    }
  });
});
