/**
 * The compile service (src/oci-cli/compile-service.ts, native/launcher/
 * fast-service.c): `create` run by a warm Node process, with the helper
 * started by the caller's launcher. Each case runs through the service and
 * through the Node path (MOBY_DICK_RUNTIME_NO_FAST=1) and compares stdout,
 * stderr, exit code, the --log lines (but their time), the state and the
 * pid file. "Service only" is a hard link of the launcher with no Node to
 * fall back to (the same build stamp, so the service takes its requests;
 * it exits 127 where it would start Node): it shows which cases the service
 * served. A stale service (another stamp) is not used, a service killed in
 * the middle of a request leaves the command to Node, and no service
 * outlives its test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { RUNTIME } from '../helpers/bundle.js';
import { type CliResult, run, sleep, until } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';

/** every call with the same MOBY_DICK_* (the service compares them): a short idle time */
const ENV = { ...process.env, MOBY_DICK_COMPILE_IDLE_SECONDS: '20' };
const SLOW = { ...ENV, MOBY_DICK_RUNTIME_NO_FAST: '1' };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the --log lines, their time left out */
  log: unknown[];
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}/stat`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('moby-dick-runtime compile service', () => {
  const fx = useOci();
  const { bundle } = fx;
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}svc-`));
  // the launcher under another name, with the build's files beside it but no stamp of a snapshot and no node in PATH
  const serviceOnly = join(dir, 'moby-dick-runtime');
  linkSync(RUNTIME, serviceOnly);
  for (const name of ['moby-dick-runtime.blob', 'moby-dick-runtime.cjs', 'mdk-init']) symlinkSync(join(dirname(RUNTIME), name), join(dir, name));
  const services = new Set<number>();
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    // the fixture removes the state root; its service sees its socket go and ends within a second or two
    for (const pid of services) await until(async () => !alive(pid), 5000).catch(() => assert.fail(`the compile service ${pid} outlived its test`));
    services.clear();
  });

  const sock = (): string => join(fx.root, '@compile', 'sock');
  const servicePid = (): number => Number(readFileSync(join(fx.root, '@compile', 'pid'), 'utf8'));
  /** the service for this test's root, started as the launcher starts it: by a first create (which Node serves) */
  async function startService(): Promise<number> {
    const b = bundle((s) => void (s.process!.args = ['true']));
    assert.equal((await outcome(RUNTIME, ['create', '--bundle', b, 'mdk-test-first'], ENV)).code, 0);
    await until(async () => existsSync(sock()) && existsSync(join(fx.root, '@compile', 'pid')), 10000);
    const pid = servicePid();
    services.add(pid);
    assert.equal(statSync(sock()).mode & 0o777, 0o600);
    assert.equal(statSync(join(fx.root, '@compile')).mode & 0o777, 0o700);
    assert.equal((await outcome(RUNTIME, ['delete', '--force', 'mdk-test-first'], ENV)).code, 0);
    return pid;
  }

  let logs = 0;
  async function outcome(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
    const log = join(dir, `log-${++logs}`);
    const r: CliResult = await run(file, ['--root', fx.root, '--log', log, '--log-format', 'json', ...args], { until: 'exit', env });
    const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    rmSync(log, { force: true });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, log: lines.map((l) => ({ ...(JSON.parse(l) as object), time: '-' })) };
  }
  const slow = (...args: string[]): Promise<Outcome> => outcome(RUNTIME, args, SLOW);
  const only = (...args: string[]): Promise<Outcome> => outcome(serviceOnly, args, { ...ENV, PATH: '/mdk-test-nowhere' });

  /** the state of ID with what differs between two containers (pid, time, id) left out */
  async function stateOf(id: string): Promise<Record<string, unknown>> {
    const r = await slow('state', id);
    if (r.code !== 0) return { code: r.code, stderr: r.stderr.replaceAll(id, 'ID') };
    const s = JSON.parse(r.stdout.replaceAll(id, 'ID')) as Record<string, unknown>;
    return { ...s, pid: typeof s.pid === 'number' && s.pid > 0, created: '-' };
  }

  /** create through the Node path and through the service, each on an id of its own: the same outcome and state */
  async function same(args: (id: string) => string[], ids: [string, string]): Promise<Outcome> {
    const a = await slow(...args(ids[0]));
    const b = await only(...args(ids[1]));
    const anon = (o: Outcome, id: string): Outcome => JSON.parse(JSON.stringify(o).replaceAll(id, 'ID')) as Outcome;
    assert.deepEqual(anon(b, ids[1]), anon(a, ids[0]), `${args('ID').join(' ')}: the service says what the Node path says`);
    assert.deepEqual(await stateOf(ids[1]), await stateOf(ids[0]), 'the same state');
    return a;
  }

  test('create: served, with the Node path\'s outcome, state and pid file; start, state and delete go on as before', async () => {
    await startService();
    const b = bundle((s) => void (s.process!.args = ['sh', '-c', 'echo ran > /tmp/mdk-test-svc-$$; exit 3']));
    const pidFile = (id: string): string => join(dir, `${id}.pid`);
    const created = await same((id) => ['create', '--bundle', b, '--pid-file', pidFile(id), id], ['mdk-test-n1', 'mdk-test-s1']);
    assert.deepEqual(created, { code: 0, stdout: '', stderr: '', log: [] });
    for (const id of ['mdk-test-n1', 'mdk-test-s1']) {
      const state = JSON.parse((await slow('state', id)).stdout) as { pid: number; status: string };
      assert.equal(state.status, 'created');
      assert.equal(readFileSync(pidFile(id), 'utf8'), String(state.pid), 'the pid file holds the init');
      assert.equal((await outcome(RUNTIME, ['start', id], ENV)).code, 0);
    }
    await until(async () => (await stateOf('mdk-test-s1')).status === 'stopped' && (await stateOf('mdk-test-n1')).status === 'stopped');
    for (const id of ['mdk-test-n1', 'mdk-test-s1']) assert.equal((await outcome(RUNTIME, ['delete', id], ENV)).code, 0);
    // a second create with the id still there, a missing bundle, a broken config.json, a mount that fails in the helper
    await same((id) => ['create', '--bundle', b, id], ['mdk-test-n2', 'mdk-test-s2']);
    const again = await same((id) => ['create', '--bundle', b, id], ['mdk-test-n2', 'mdk-test-s2']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const missing = await same((id) => ['create', '--bundle', join(dir, 'mdk-test-none'), id], ['mdk-test-n3', 'mdk-test-s3']);
    assert.equal(missing.code, 1);
    const broken = bundle();
    writeFileSync(join(broken, 'config.json'), '{"ociVersion": ');
    assert.equal((await same((id) => ['create', '--bundle', broken, id], ['mdk-test-n4', 'mdk-test-s4'])).code, 1);
    const badMount = bundle((s) => void s.mounts!.push({ destination: '/mnt/x', source: '/mdk-test-nowhere', type: 'bind', options: ['rbind'] }));
    const failed = await same((id) => ['create', '--bundle', badMount, id], ['mdk-test-n5', 'mdk-test-s5']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /mdk-test-nowhere/);
    assert.equal(existsSync(join(fx.root, 'mdk-test-s5')), false, 'a failed create leaves no state');
    // served: a container the service made is there; what it refuses falls back (to no Node here: 127)
    const hooks = bundle((s) => void (s.hooks = { poststart: [{ path: '/bin/true' }] }));
    assert.equal((await only('create', '--bundle', hooks, 'mdk-test-s6')).code, 127, 'hooks run in the cwd: left to Node');
    assert.equal((await only('create', '--bundle', 'relative', 'mdk-test-s6')).code, 127, 'a relative path: left to Node');
    assert.equal((await only('--debug', 'create', '--bundle', b, 'mdk-test-s6')).code, 127, '--debug: left to Node');
    assert.equal((await outcome(serviceOnly, ['create', '--bundle', b, 'mdk-test-s6'], { ...ENV, PATH: '/mdk-test-nowhere', MOBY_DICK_X: '1' })).code, 127, 'another MOBY_DICK_* environment: left to Node');
    for (const id of ['mdk-test-n2', 'mdk-test-s2']) assert.equal((await slow('delete', '--force', id)).code, 0);
  });

  test('exec --detach: served, with the Node path\'s outcome and pid file; a process that cannot run is the same error', async () => {
    await startService();
    const b = bundle((s) => void (s.process!.args = ['sleep', '30']));
    for (const id of ['mdk-test-en', 'mdk-test-es']) {
      assert.equal((await slow('create', '--bundle', b, id)).code, 0);
      assert.equal((await slow('start', id)).code, 0);
    }
    const processFile = (args: string[]): string => {
      const file = join(dir, `process-${args[0]!.replaceAll('/', '_')}.json`);
      writeFileSync(file, JSON.stringify({ cwd: '/', args, env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }));
      return file;
    };
    const sleeper = processFile(['sleep', '20']);
    const pidFile = (id: string): string => join(dir, `${id}.exec.pid`);
    const args = (file: string) => (id: string): string[] => ['exec', '--process', file, '--detach', '--pid-file', pidFile(id), id];
    const ok = [await slow(...args(sleeper)('mdk-test-en')), await only(...args(sleeper)('mdk-test-es'))];
    assert.deepEqual(ok[1], ok[0]);
    assert.deepEqual(ok[0], { code: 0, stdout: '', stderr: '', log: [] });
    for (const id of ['mdk-test-en', 'mdk-test-es']) {
      const pid = Number(readFileSync(pidFile(id), 'utf8'));
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sleep\0/, 'the pid file names the exec\'d process');
      rmSync(pidFile(id));
    }
    const missing = processFile(['/mdk-test-nowhere']);
    const failed = [await slow(...args(missing)('mdk-test-en')), await only(...args(missing)('mdk-test-es'))];
    assert.equal(failed[0]!.code, 1);
    assert.match(failed[0]!.stderr, /mdk-test-nowhere/);
    assert.deepEqual(JSON.parse(JSON.stringify(failed[1]).replaceAll('mdk-test-es', 'ID')), JSON.parse(JSON.stringify(failed[0]).replaceAll('mdk-test-en', 'ID')));
    // in the foreground it stays with Node (it forwards the caller's signals): 127 with no Node
    assert.equal((await only('exec', '--process', sleeper, 'mdk-test-es')).code, 127);
    for (const id of ['mdk-test-en', 'mdk-test-es']) assert.equal((await slow('delete', '--force', id)).code, 0);
  });

  test('a stale service (another build\'s stamp) is not used, and ends', async () => {
    const b = bundle();
    // a service of "another build" at this root's socket
    const stale = spawn(RUNTIME, ['--root', fx.root, 'compile-service'], { env: { ...ENV, MOBY_DICK_COMPILE_STAMP: 'mdk-test-other-build' }, stdio: 'ignore' });
    await until(async () => existsSync(sock()), 10000);
    services.add(servicePid());
    assert.equal((await only('create', '--bundle', b, 'mdk-test-st1')).code, 127, 'refused: left to Node');
    assert.equal(existsSync(join(fx.root, 'mdk-test-st1')), false);
    await until(async () => stale.exitCode !== null, 5000);
    // the next create starts one of this build (served by Node itself), and the one after is served
    assert.equal((await outcome(RUNTIME, ['create', '--bundle', b, 'mdk-test-st1'], ENV)).code, 0);
    await until(async () => existsSync(sock()), 10000);
    services.add(servicePid());
    assert.equal((await only('create', '--bundle', b, 'mdk-test-st2')).code, 0);
    for (const id of ['mdk-test-st1', 'mdk-test-st2']) assert.equal((await slow('delete', '--force', id)).code, 0);
  });

  test('a service killed in the middle of a request: the create runs on the Node path', async () => {
    const pid = await startService();
    const b = bundle();
    process.kill(pid, 'SIGSTOP');
    const pending = outcome(RUNTIME, ['create', '--bundle', b, 'mdk-test-k1'], ENV);
    await sleep(300); // the launcher has connected and sent its request, which the stopped service holds unread
    process.kill(pid, 'SIGKILL');
    const r = await pending;
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '', log: [] });
    assert.equal((await stateOf('mdk-test-k1')).status, 'created');
    assert.equal((await slow('delete', '--force', 'mdk-test-k1')).code, 0);
  });

  test('an idle service ends by itself', async () => {
    const b = bundle();
    const env = { ...ENV, MOBY_DICK_COMPILE_IDLE_SECONDS: '1' };
    assert.equal((await outcome(RUNTIME, ['create', '--bundle', b, 'mdk-test-i1'], env)).code, 0);
    await until(async () => existsSync(join(fx.root, '@compile', 'pid')), 10000);
    const pid = servicePid();
    await until(async () => !alive(pid), 5000);
    assert.equal(existsSync(sock()), false, 'its socket goes with it');
    assert.equal((await slow('delete', '--force', 'mdk-test-i1')).code, 0);
  });

  test('SIGTERM ends the service, and its socket, pid file and directory go with it', async () => {
    const pid = await startService();
    process.kill(pid, 'SIGTERM');
    await until(async () => !alive(pid), 5000);
    assert.equal(existsSync(join(fx.root, '@compile')), false);
  });
});
