/**
 * The compile service (src/oci-cli/compile-service.ts, native/launcher/
 * fast-service.c): `create` run by a warm Node process, with the helper
 * started by the caller's launcher. Each case runs through the service and
 * through the Node path (MOBY_DICK_RUNTIME_NO_FAST=1) and compares stdout,
 * stderr, exit code, the --log lines (but their time), the state and the
 * pid file. "Service only" is a hard link of the launcher with no Node to
 * fall back to (the same build stamp, so the service takes its requests;
 * it exits 127 where it would start Node): it shows which cases the service
 * served. `run` (foreground, --detach) and a foreground `exec` are served
 * too: the same output, exit status (128+N for a signal), --log and state,
 * and a signal sent to the runtime reaches the container on both paths.
 * A stale service (another stamp) is not used, a service killed in the
 * middle of a request leaves the command to Node, one killed after it
 * claimed the id leaves a claim the next create releases, and no service
 * outlives its test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { RUNTIME } from '../helpers/bundle.js';
import { type CliOptions, type CliResult, run, sleep, until } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';
import { encodeRequest, FrameReader, splitFields } from '../../src/oci-cli/compile-wire.js';

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
  async function outcome(file: string, args: readonly string[], env: NodeJS.ProcessEnv, more: CliOptions = {}): Promise<Outcome> {
    const log = join(dir, `log-${++logs}`);
    const r: CliResult = await run(file, ['--root', fx.root, '--log', log, '--log-format', 'json', ...args], { until: 'exit', env, ...more });
    const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    rmSync(log, { force: true });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, log: lines.map((l) => ({ ...(JSON.parse(l) as object), time: '-' })) };
  }
  const slow = (...args: string[]): Promise<Outcome> => outcome(RUNTIME, args, SLOW);
  const only = (...args: string[]): Promise<Outcome> => outcome(serviceOnly, args, { ...ENV, PATH: '/mdk-test-nowhere' });
  /** both paths, each with MORE (given the id): the Node path's outcome first, then the service's */
  const both = async (args: (id: string) => string[], ids: [string, string], more: (id: string) => CliOptions = () => ({})): Promise<[Outcome, Outcome]> => [
    await outcome(RUNTIME, args(ids[0]), SLOW, more(ids[0])),
    await outcome(serviceOnly, args(ids[1]), { ...ENV, PATH: '/mdk-test-nowhere' }, more(ids[1])),
  ];

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
    // in the foreground too: the same output and exit status, from --process or a command line
    const says = processFile(['sh', '-c', 'echo out; echo err >&2; exit 5']);
    const fg = await both((id) => ['exec', '--process', says, id], ['mdk-test-en', 'mdk-test-es']);
    assert.deepEqual(fg[1], fg[0]);
    assert.deepEqual(fg[0], { code: 5, stdout: 'out\n', stderr: 'err\n', log: [] });
    const line = await both((id) => ['exec', '--cwd', '/tmp', '-e', 'X=y', id, 'sh', '-c', 'echo $PWD $X; exit 4'], ['mdk-test-en', 'mdk-test-es']);
    assert.deepEqual(line[1], line[0]);
    assert.deepEqual(line[0], { code: 4, stdout: '/tmp y\n', stderr: '', log: [] });
    // a signal the runtime gets goes to the exec'd process (its handler answers); one that ends it: 128+N
    const trapping = processFile(['sh', '-c', 'trap "echo got HUP; exit 6" HUP; echo ready; while :; do sleep 0.05; done']);
    const signalled = await both((id) => ['exec', '--process', trapping, id], ['mdk-test-en', 'mdk-test-es'], signalWhenReady('SIGHUP'));
    assert.deepEqual(signalled[1], signalled[0]);
    assert.deepEqual(signalled[0], { code: 6, stdout: 'ready\ngot HUP\n', stderr: '', log: [] });
    const plain = processFile(['sh', '-c', 'echo ready; exec sleep 20']);
    const ended = await both((id) => ['exec', '--process', plain, id], ['mdk-test-en', 'mdk-test-es'], signalWhenReady('SIGTERM'));
    assert.deepEqual(ended[1], ended[0]);
    assert.deepEqual(ended[0], { code: 143, stdout: 'ready\n', stderr: '', log: [] });
    assert.deepEqual(await stateOf('mdk-test-es'), await stateOf('mdk-test-en'));
    assert.equal((await stateOf('mdk-test-es')).status, 'running', 'a foreground exec leaves its container as it was');
    for (const id of ['mdk-test-en', 'mdk-test-es']) assert.equal((await slow('delete', '--force', id)).code, 0);
  });

  /** options for outcome(): SIGNAL sent to the runtime process once the container said "ready" */
  function signalWhenReady(signal: NodeJS.Signals): () => CliOptions {
    return () => {
      let pid = 0;
      let seen = '';
      return {
        onSpawn: (p) => void (pid = p),
        onStdout: (text) => {
          seen += text;
          if (seen.includes('ready\n') && pid > 0) {
            process.kill(pid, signal);
            pid = 0;
          }
        },
      };
    };
  }

  test('run: served, in the foreground and with --detach, with the Node path\'s outcome, --log, exit status and state', async () => {
    await startService();
    const says = bundle((s) => void (s.process!.args = ['sh', '-c', 'echo out; echo err >&2; exit 3']));
    const pidFile = (id: string): string => join(dir, `${id}.run.pid`);
    const ran = await same((id) => ['run', '--bundle', says, '--pid-file', pidFile(id), id], ['mdk-test-rn1', 'mdk-test-rs1']);
    assert.deepEqual(ran, { code: 3, stdout: 'out\n', stderr: 'err\n', log: [] });
    assert.match(JSON.stringify(await stateOf('mdk-test-rs1')), /does not exist/, 'run deletes its container at the end');
    for (const id of ['mdk-test-rn1', 'mdk-test-rs1']) assert.match(readFileSync(pidFile(id), 'utf8'), /^[1-9]\d*$/, 'run --pid-file, as runc\'s');
    // a command that cannot run: the same error on stderr and in --log
    const missing = bundle((s) => void (s.process!.args = ['/mdk-test-nowhere']));
    const failed = await same((id) => ['run', '--bundle', missing, id], ['mdk-test-rn2', 'mdk-test-rs2']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /mdk-test-nowhere/);
    assert.equal(failed.log.length, 1);
    // a signal the runtime gets is passed on to the container's init (its handler answers)
    const trapping = bundle((s) => void (s.process!.args = ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done']));
    const signalled = await both((id) => ['run', '--bundle', trapping, id], ['mdk-test-rn3', 'mdk-test-rs3'], signalWhenReady('SIGTERM'));
    assert.deepEqual(signalled[1], signalled[0]);
    assert.deepEqual(signalled[0], { code: 7, stdout: 'ready\ngot TERM\n', stderr: '', log: [] });
    // a container killed by a signal (kill from outside): 128+N
    const sleeper = bundle((s) => void (s.process!.args = ['sh', '-c', 'echo ready; exec sleep 20']));
    const killWhenReady = (id: string): CliOptions => {
      let seen = '';
      return {
        onStdout: (text) => {
          seen += text;
          if (seen === 'ready\n') void run(RUNTIME, ['--root', fx.root, 'kill', id, 'KILL'], { env: SLOW });
        },
      };
    };
    const killed = await both((id) => ['run', '--bundle', sleeper, id], ['mdk-test-rn4', 'mdk-test-rs4'], killWhenReady);
    assert.deepEqual(killed[1], killed[0]);
    assert.deepEqual(killed[0], { code: 137, stdout: 'ready\n', stderr: '', log: [] });
    for (const id of ['mdk-test-rn3', 'mdk-test-rs3', 'mdk-test-rn4', 'mdk-test-rs4']) assert.equal(existsSync(join(fx.root, id)), false, `${id} deleted`);
    // --detach: the container runs on, and is the same one
    const long = bundle((s) => void (s.process!.args = ['sleep', '30']));
    const detached = await same((id) => ['run', '--detach', '--bundle', long, '--pid-file', pidFile(id), id], ['mdk-test-rn5', 'mdk-test-rs5']);
    assert.deepEqual(detached, { code: 0, stdout: '', stderr: '', log: [] });
    assert.equal((await stateOf('mdk-test-rs5')).status, 'running');
    assert.match(readFileSync(`/proc/${readFileSync(pidFile('mdk-test-rs5'), 'utf8')}/cmdline`, 'utf8'), /^sleep\0/);
    for (const id of ['mdk-test-rn5', 'mdk-test-rs5']) assert.equal((await slow('delete', '--force', id)).code, 0);
  });

  test('nine foreground runs at once through one service: each runs while the others wait (none queues behind another\'s wait in the thread pool)', async () => {
    await startService();
    const shared = mkdtempSync(join(dir, 'shared-'));
    const waiting = bundle((s) => {
      s.process!.args = ['sh', '-c', 'echo ready; while [ ! -e /shared/go ]; do sleep 0.05; done; echo done'];
      s.mounts!.push({ destination: '/shared', source: shared, type: 'bind', options: ['rbind'] });
    });
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `mdk-test-par${n}`);
    let ready = 0;
    const runs = ids.map((id) => outcome(serviceOnly, ['run', '--bundle', waiting, id], { ...ENV, PATH: '/mdk-test-nowhere' }, { onStdout: (t) => void (ready += t.split('ready\n').length - 1), timeoutMs: 30_000 }));
    try {
      await until(async () => ready === ids.length, 15_000);
    } finally {
      writeFileSync(join(shared, 'go'), '');
    }
    for (const r of await Promise.all(runs)) assert.deepEqual(r, { code: 0, stdout: 'ready\ndone\n', stderr: '', log: [] });
  });

  test('a served run whose runtime is killed (SIGKILL): its container goes with it, its state and cgroup are removed, the service serves on', async () => {
    const service = await startService();
    const sleeper = bundle((s) => void (s.process!.args = ['sh', '-c', 'echo ready; exec sleep 30']));
    const pidFile = join(dir, 'mdk-test-rk.pid');
    let runtime = 0;
    let ready = false;
    const pending = outcome(serviceOnly, ['run', '--bundle', sleeper, '--pid-file', pidFile, 'mdk-test-rk'], { ...ENV, PATH: '/mdk-test-nowhere' }, {
      onSpawn: (p) => void (runtime = p),
      onStdout: (t) => void (ready ||= t.includes('ready')),
    });
    await until(async () => ready && existsSync(pidFile), 10_000);
    // the container's pids cgroup, as its init sees it from the host
    const cgroup = /^\d+:pids:(.*)$/m.exec(readFileSync(`/proc/${readFileSync(pidFile, 'utf8')}/cgroup`, 'utf8'))![1]!;
    process.kill(runtime, 'SIGKILL');
    assert.equal((await pending).code, null, 'killed');
    assert.match(cgroup, /mdk-test-rk/);
    const init = Number(readFileSync(pidFile, 'utf8'));
    await until(async () => !alive(init) && !existsSync(join(fx.root, 'mdk-test-rk')), 10_000).catch(() => assert.fail('the container or its state outlived its runtime'));
    assert.equal(existsSync(join('/sys/fs/cgroup/pids', cgroup)), false, 'no cgroup left');
    assert.equal(alive(service), true, 'the service lives on');
    assert.equal((await only('create', '--bundle', sleeper, 'mdk-test-rk')).code, 0, 'and serves the id again');
    assert.equal((await slow('delete', '--force', 'mdk-test-rk')).code, 0);
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

  test('a service killed after claiming the id, before the helper: the claim is released, the id free on both paths', async () => {
    const pid = await startService();
    const b = bundle();
    // this test as the launcher: the request, up to the service's ask for the helper (the id claimed by then)
    const stamp = /(?:^|\0)MOBY_DICK_COMPILE_STAMP=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))![1]!;
    const env = Object.fromEntries(Object.entries(ENV).filter((e): e is [string, string] => e[0].startsWith('MOBY_DICK_') && e[1] !== undefined));
    const conn = createConnection(sock());
    const reader = new FrameReader();
    const asked = new Promise<string[]>((resolve, reject) => {
      conn.on('data', (chunk: Buffer) => {
        for (const body of reader.push(chunk)) {
          const fields = splitFields(body).map(String);
          if (fields[0] === 'spawn' || fields[0] === 'refuse' || fields[0] === 'exit') resolve(fields);
        }
      });
      conn.on('error', reject);
    });
    conn.write(encodeRequest({ stamp, cwd: '/', umask: process.umask(), argv: ['--root', fx.root, 'create', '--bundle', b, 'mdk-test-k2'], env }));
    assert.equal((await asked)[0], 'spawn');
    process.kill(pid, 'SIGKILL');
    await until(async () => !alive(pid));
    conn.destroy();
    assert.equal(existsSync(join(fx.root, 'mdk-test-k2', 'claim')), true, 'the id was claimed');
    // the launcher's fallback (the Node path) takes the id
    assert.deepEqual(await slow('create', '--bundle', b, 'mdk-test-k2'), { code: 0, stdout: '', stderr: '', log: [] });
    assert.equal((await stateOf('mdk-test-k2')).status, 'created');
    assert.match((await slow('create', '--bundle', b, 'mdk-test-k2')).stderr, /already exists/, 'a live container keeps its id');
    assert.equal((await slow('delete', '--force', 'mdk-test-k2')).code, 0);
    assert.deepEqual(readdirSync(fx.root).filter((n) => n.startsWith('@stale')), [], 'nothing left aside');
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
