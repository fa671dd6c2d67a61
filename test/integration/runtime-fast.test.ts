/**
 * The launcher's fast path (native/launcher/fast-*.c): state, start, kill,
 * delete, pause, resume, ps and list answered without Node, with the TypeScript
 * path's bytes and exit codes. Every case runs through both paths (the
 * TypeScript one forced by MOBY_DICK_RUNTIME_NO_FAST=1) and compares
 * stdout, stderr, exit code and the --log lines (but their time). A copy
 * of the launcher with no Node to start ("fast only": it exits 127 where
 * it would start Node) shows which cases the launcher served itself.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RUNTIME } from '../helpers/bundle.js';
import { type CliResult, run, sleep } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';

const SLOW = { ...process.env, MOBY_DICK_RUNTIME_NO_FAST: '1' };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the --log lines, their time left out */
  log: unknown[];
}

describe('moby-dick-runtime fast path', () => {
  const fx = useOci();
  const { bundle } = fx;
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}fast-`));
  // the launcher alone: no blob, no bundle, no node in PATH
  const fastOnly = join(dir, 'moby-dick-runtime');
  copyFileSync(RUNTIME, fastOnly);
  after(() => rmSync(dir, { recursive: true, force: true }));
  let logs = 0;

  async function outcome(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
    const log = join(dir, `log-${++logs}`);
    const r: CliResult = await run(file, ['--root', fx.root, '--log', log, '--log-format', 'json', ...args], { until: 'exit', env });
    const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    rmSync(log, { force: true });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, log: lines.map((l) => ({ ...(JSON.parse(l) as object), time: '-' })) };
  }
  /** through the TypeScript path */
  const slow = (...args: string[]): Promise<Outcome> => outcome(RUNTIME, args, SLOW);
  /** through the launcher as installed: the fast path where it serves */
  const fast = (...args: string[]): Promise<Outcome> => outcome(RUNTIME, args, process.env);
  /** through the launcher alone: 127 where it would start Node */
  const only = (...args: string[]): Promise<Outcome> => outcome(fastOnly, args, { PATH: '/mdk-test-nowhere' });

  /** a read-only command: the same outcome on both paths; SERVED: the launcher answered it alone */
  async function same(args: string[], served: boolean): Promise<Outcome> {
    const a = await slow(...args);
    const b = await fast(...args);
    assert.deepEqual(b, a, `${args.join(' ')}: the fast path says what the TypeScript path says`);
    const c = await only(...args);
    if (served) assert.deepEqual(c, a, `${args.join(' ')}: served by the launcher alone`);
    else assert.equal(c.code, 127, `${args.join(' ')}: left to Node\n${c.stderr}`);
    return a;
  }

  const create = async (id: string, args: string[] = ['sleep', '30']): Promise<void> => {
    const b = bundle((s) => void (s.process!.args = args));
    const r = await slow('create', '--bundle', b, id);
    assert.equal(r.code, 0, r.stderr);
  };
  const status = async (id: string): Promise<string> => (JSON.parse((await slow('state', id)).stdout) as { status: string }).status;
  const until = async (id: string, want: string): Promise<void> => {
    for (let i = 0; i < 200 && (await status(id)) !== want; i++) await sleep(10);
    assert.equal(await status(id), want);
  };
  /** the outcome with ID written as ID, for two containers' answers */
  const anon = (o: Outcome, id: string): Outcome => JSON.parse(JSON.stringify(o).replaceAll(id, 'ID')) as Outcome;

  test('state of a created, running, paused and stopped container, and of none; list', async () => {
    await create('mdk-test-st');
    assert.match((await same(['state', 'mdk-test-st'], true)).stdout, /"status": "created"/);
    assert.equal((await slow('start', 'mdk-test-st')).code, 0);
    assert.match((await same(['state', 'mdk-test-st'], true)).stdout, /"status": "running"/);
    await create('mdk-test-st2');
    assert.match((await same(['list'], true)).stdout, /^ID +PID +STATUS +BUNDLE +CREATED +OWNER\nmdk-test-st +\d+ +running .*\nmdk-test-st2 +\d+ +created /);
    assert.equal((await same(['list', '-q'], true)).stdout, 'mdk-test-st\nmdk-test-st2\n');
    assert.equal(JSON.parse((await same(['list', '--format', 'json'], true)).stdout).length, 2);
    await same(['list', '-f', 'table'], true);
    await same(['list', '--format', 'yaml'], false);
    assert.equal((await slow('delete', 'mdk-test-st2')).code, 0);
    assert.equal((await slow('pause', 'mdk-test-st')).code, 0);
    assert.match((await same(['state', 'mdk-test-st'], true)).stdout, /"status": "paused"/);
    assert.equal((await slow('resume', 'mdk-test-st')).code, 0);
    assert.equal((await slow('kill', 'mdk-test-st', '9')).code, 0);
    await until('mdk-test-st', 'stopped');
    assert.match((await same(['state', 'mdk-test-st'], true)).stdout, /"pid": 0,\n {2}"status": "stopped"/);
    // no such container: the launcher says the TypeScript path's words itself, in both log formats
    assert.equal((await same(['state', 'mdk-test-none'], true)).code, 1);
    for (const cmd of [['ps'], ['kill', '--all'], ['delete', '--force'], ['start'], ['pause']]) await same([...cmd, 'mdk-test-none'], true);
    const textLog = async (file: string, env: NodeJS.ProcessEnv): Promise<string> => {
      const log = join(dir, 'text-log');
      const r = await run(file, ['--root', fx.root, '--log', log, '--log-format', 'text', 'delete', 'mdk-test-none'], { until: 'exit', env });
      const text = readFileSync(log, 'utf8');
      rmSync(log);
      return `${r.code} ${r.stderr} ${text.replace(/^time="[^"]+"/, 'time="-"')}`;
    };
    assert.equal(await textLog(fastOnly, { PATH: '/mdk-test-nowhere' }), await textLog(RUNTIME, SLOW));
    // what the launcher does not know goes to Node: another flag, a second id, a bad id, its own switch
    await same(['state', '--nope', 'mdk-test-st'], false);
    await same(['state', 'mdk-test-st', 'mdk-test-st'], false);
    await same(['state', 'a/b'], false);
    assert.equal((await outcome(fastOnly, ['state', 'mdk-test-st'], { PATH: '/mdk-test-nowhere', MOBY_DICK_RUNTIME_NO_FAST: '1' })).code, 127);
    assert.equal((await slow('delete', 'mdk-test-st')).code, 0);
    assert.equal((await same(['list'], true)).stdout, 'ID   PID   STATUS   BUNDLE   CREATED   OWNER\n');
  });

  test('ps as a table and as JSON; pause and resume', async () => {
    await create('mdk-test-ps', ['sh', '-c', 'sleep 30 & sleep 30 & wait']);
    assert.equal((await slow('start', 'mdk-test-ps')).code, 0);
    for (let i = 0; i < 100 && JSON.parse((await slow('ps', '--format', 'json', 'mdk-test-ps')).stdout).length < 3; i++) await sleep(10);
    assert.equal(JSON.parse((await same(['ps', '--format', 'json', 'mdk-test-ps'], true)).stdout).length, 3);
    assert.match((await same(['ps', 'mdk-test-ps'], true)).stdout, /^PID\n(\d+\n){3}$/);
    await same(['ps', '--format=json', 'mdk-test-ps'], true);
    await same(['ps', '-f', 'table', 'mdk-test-ps'], true);

    assert.equal((await only('pause', 'mdk-test-ps')).code, 0);
    assert.equal(await status('mdk-test-ps'), 'paused');
    // pausing a paused container is an error: the TypeScript path's
    assert.equal((await same(['pause', 'mdk-test-ps'], false)).code, 1);
    assert.equal((await only('resume', 'mdk-test-ps')).code, 0);
    assert.equal(await status('mdk-test-ps'), 'running');
    assert.equal((await same(['resume', 'mdk-test-ps'], false)).code, 1);
    assert.equal((await slow('delete', '--force', 'mdk-test-ps')).code, 0);
  });

  test('kill by number, with --all, and what is left to Node', async () => {
    await create('mdk-test-k', ['sh', '-c', 'trap "exit 3" USR1; sleep 30 & wait']);
    assert.equal((await slow('start', 'mdk-test-k')).code, 0);
    // a signal by name is Node's to read
    assert.equal((await only('kill', 'mdk-test-k', 'USR1')).code, 127);
    assert.equal(await status('mdk-test-k'), 'running');
    assert.equal((await only('kill', 'mdk-test-k', '10')).code, 0);
    await until('mdk-test-k', 'stopped');
    assert.equal((await same(['kill', 'mdk-test-k', '9'], true)).code, 1, 'not running: the launcher says so');
    assert.equal((await same(['kill', '--all', 'mdk-test-k', '9'], true)).code, 1);
    assert.equal((await slow('delete', 'mdk-test-k')).code, 0);

    await create('mdk-test-ka', ['sh', '-c', 'sleep 30 & wait']);
    assert.equal((await slow('start', 'mdk-test-ka')).code, 0);
    for (let i = 0; i < 100 && JSON.parse((await slow('ps', '--format', 'json', 'mdk-test-ka')).stdout).length < 2; i++) await sleep(10);
    assert.equal((await only('kill', '--all', 'mdk-test-ka', '9')).code, 0);
    await until('mdk-test-ka', 'stopped');
    for (let i = 0; i < 100 && JSON.parse((await slow('ps', '--format', 'json', 'mdk-test-ka')).stdout).length > 0; i++) await sleep(10);
    assert.equal((await slow('ps', '--format', 'json', 'mdk-test-ka')).stdout, '[]\n', 'every process of the container got the signal');
    assert.equal((await only('delete', 'mdk-test-ka')).code, 0);
  });

  test('start: the container runs; a command that cannot run is the TypeScript path\'s error, handed over', async () => {
    await create('mdk-test-s1', ['sh', '-c', 'echo ran > /tmp/mdk-test-fast-ran; sleep 30']);
    assert.equal((await only('start', 'mdk-test-s1')).code, 0);
    assert.equal(await status('mdk-test-s1'), 'running');
    for (let i = 0; i < 100 && !existsSync(join(fx.rootfs, 'tmp/mdk-test-fast-ran')); i++) await sleep(10);
    assert.equal(readFileSync(join(fx.rootfs, 'tmp/mdk-test-fast-ran'), 'utf8'), 'ran\n');
    rmSync(join(fx.rootfs, 'tmp/mdk-test-fast-ran'));
    assert.equal((await same(['start', 'mdk-test-s1'], false)).code, 1, 'started already');
    assert.equal((await slow('delete', '--force', 'mdk-test-s1')).code, 0);

    // two containers alike, started each way: their program is there, but its interpreter is not (exec fails after the release)
    const program = join(fx.rootfs, 'mdk-test-no-interpreter');
    writeFileSync(program, '#!/mdk-test-nowhere\n', { mode: 0o755 });
    await create('mdk-test-sf', ['/mdk-test-no-interpreter']);
    await create('mdk-test-ss', ['/mdk-test-no-interpreter']);
    const a = await slow('start', 'mdk-test-ss');
    const b = await fast('start', 'mdk-test-sf');
    rmSync(program);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /mdk-test-no-interpreter/);
    assert.deepEqual(anon(b, 'mdk-test-sf'), anon(a, 'mdk-test-ss'));
    for (const id of ['mdk-test-sf', 'mdk-test-ss']) assert.equal((await slow('delete', '--force', id)).code, 0);
  });

  test('delete: stopped, created, running with and without --force, paused with --force; the cgroups go too', async () => {
    const cgroup = (id: string): string => `/sys/fs/cgroup/pids/moby-dick/${id}`;
    await create('mdk-test-d1', ['true']);
    assert.equal((await slow('start', 'mdk-test-d1')).code, 0);
    await until('mdk-test-d1', 'stopped');
    assert.equal(existsSync(cgroup('mdk-test-d1')), true);
    assert.deepEqual(await only('delete', 'mdk-test-d1'), { code: 0, stdout: '', stderr: '', log: [] });
    assert.equal(existsSync(join(fx.root, 'mdk-test-d1')), false);
    assert.equal(existsSync(cgroup('mdk-test-d1')), false);

    await create('mdk-test-d2');
    const { pid } = JSON.parse((await slow('state', 'mdk-test-d2')).stdout) as { pid: number };
    assert.equal((await only('delete', 'mdk-test-d2')).code, 0);
    assert.equal(existsSync(`/proc/${pid}/stat`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), false, 'the created init is gone');

    await create('mdk-test-d3');
    await create('mdk-test-d4');
    for (const id of ['mdk-test-d3', 'mdk-test-d4']) assert.equal((await slow('start', id)).code, 0);
    const refused = [anon(await fast('delete', 'mdk-test-d3'), 'mdk-test-d3'), anon(await slow('delete', 'mdk-test-d4'), 'mdk-test-d4')];
    assert.equal(refused[1]!.code, 1);
    assert.deepEqual(refused[0], refused[1]);
    assert.equal((await only('pause', 'mdk-test-d4')).code, 0);
    assert.equal((await only('delete', '--force', 'mdk-test-d3')).code, 0);
    assert.equal((await only('delete', '-f', 'mdk-test-d4')).code, 0);
    for (const id of ['mdk-test-d3', 'mdk-test-d4']) {
      assert.equal(existsSync(join(fx.root, id)), false);
      assert.equal(existsSync(cgroup(id)), false);
    }
    assert.equal((await same(['delete', 'mdk-test-d4'], true)).code, 1);
  });

  test('a container with hooks: its start and delete are left to Node, which runs them', async () => {
    const mark = join(dir, 'poststop');
    const b = bundle((s) => {
      s.process!.args = ['true'];
      s.hooks = { poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/sh', args: ['sh', '-c', `echo ran > ${mark}`] }] };
    });
    assert.equal((await slow('create', '--bundle', b, 'mdk-test-h')).code, 0);
    assert.equal((await only('start', 'mdk-test-h')).code, 127);
    assert.equal((await fast('start', 'mdk-test-h')).code, 0);
    await until('mdk-test-h', 'stopped');
    await same(['state', 'mdk-test-h'], true);
    assert.equal((await only('delete', 'mdk-test-h')).code, 127);
    assert.equal((await fast('delete', 'mdk-test-h')).code, 0);
    assert.equal(readFileSync(mark, 'utf8'), 'ran\n');
  });
});
