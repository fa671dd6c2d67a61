/**
 * The exit's hand-over between an attached CLI and the container's monitor
 * (native/src/attach.c, src/engine/attach.ts): `run` and `start -a` do what
 * the monitor's `container-exited` would (--rm, the restart policy), confirm
 * it, and the monitor starts no `container-exited` then; a client that did
 * not say it handles the exit, detached, or hung up without confirming
 * (killed) leaves it to the monitor, as before.
 *
 * Whether the monitor started `container-exited` is seen by
 * test/helpers/orphans.py, a child subreaper around the command: the
 * monitor, and what it starts when the container ends, are its orphans
 * ("memfd:mdk-init", and "node" for container-exited, which the launcher
 * runs with Node). It waits for all of them, so nothing is left to chance.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { nativeAddon } from '../../src/helper/native-addon.js';
import { CLI, PROJECT, run, sleep, until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

const ORPHANS = join(PROJECT, 'test/helpers/orphans.py');
const CLIENTS = join(PROJECT, 'build/tsc/test/helpers/exit-clients.js');
const MONITOR = 'memfd:mdk-init';
const NODE = 'node';

/** PID runs (a zombie does not) */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('engine: the attached CLI handles the exit, the monitor skips container-exited', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w);

  /** ARGV under orphans.py: its exit status, the orphans' names, and what it printed before */
  async function withOrphans(argv: readonly string[]): Promise<{ status: number; orphans: string[]; out: string[] }> {
    const r = await run('python3', [ORPHANS, ...argv], { env: w.env.env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    const at = lines.findIndex((l) => l.startsWith('status '));
    assert.ok(at >= 0, r.stdout);
    return {
      status: Number(lines[at]!.slice('status '.length)),
      orphans: lines.slice(at + 1).map((l) => l.replace(/^orphan /, '')),
      out: lines.slice(0, at),
    };
  }

  async function names(): Promise<string> {
    return (await mdk('ps', '-a', '--format', '{{.Names}} {{.Status}}')).stdout;
  }

  test('run -d --rm (no client): the monitor runs container-exited, which removes it (what the check sees)', async () => {
    const r = await withOrphans([CLI, 'run', '-d', '--rm', '--name', 'mdk-test-exit-d', '--network', 'none', w.image, 'true']);
    assert.equal(r.status, 0);
    assert.deepEqual(r.orphans.sort(), [MONITOR, NODE]);
    assert.equal(await names(), '', 'removed by container-exited');
  });

  test('run --rm attached: its exit code, removed before it returns, and no container-exited', async () => {
    const r = await withOrphans([CLI, 'run', '--rm', '--name', 'mdk-test-exit-rm', '--network', 'none', w.image, 'sh', '-c', 'echo out; exit 3']);
    assert.equal(r.status, 3);
    assert.deepEqual(r.out, ['out']);
    assert.deepEqual(r.orphans, [MONITOR], 'the monitor alone: it started no container-exited');
    assert.equal(await names(), '');
  });

  test('start -a of a --rm container: removed by the CLI, no container-exited; without --rm it shows Exited', async () => {
    const id = (await mdk('create', '--rm', '--name', 'mdk-test-exit-start', '--network', 'none', w.image, 'sh', '-c', 'exit 5')).stdout.trim();
    const r = await withOrphans([CLI, 'start', '-a', id]);
    assert.equal(r.status, 5);
    assert.deepEqual(r.orphans, [MONITOR]);
    assert.equal(await names(), '', 'start -a applied --rm');
    const kept = (await mdk('create', '--name', 'mdk-test-exit-kept', '--network', 'none', w.image, 'sh', '-c', 'exit 6')).stdout.trim();
    const k = await withOrphans([CLI, 'start', '-a', kept]);
    assert.equal(k.status, 6);
    assert.deepEqual(k.orphans, [MONITOR]);
    assert.match(await names(), /^mdk-test-exit-kept Exited \(6\) /);
    // the runtime's state and cgroups are gone (what exited() does): a second start works
    assert.equal((await mdk('start', '-a', kept)).code, 6);
  });

  test('run --restart on-failure:2 attached: each exit restarts it exactly once, the first by the CLI', async () => {
    const r = await withOrphans([CLI, 'run', '--name', 'mdk-test-exit-restart', '--restart', 'on-failure:2', '--network', 'none', w.image, 'sh', '-c', 'echo run; exit 1']);
    assert.equal(r.status, 1);
    // three runs, three monitors; the CLI handled the first exit, the monitors of the two restarts theirs
    assert.deepEqual(r.orphans.filter((o) => o === MONITOR).length, 3, r.orphans.join(' '));
    assert.deepEqual(r.orphans.filter((o) => o === NODE).length, 2, r.orphans.join(' '));
    const state = JSON.parse((await mdk('inspect', 'mdk-test-exit-restart')).stdout)[0];
    assert.equal(state.RestartCount, 2);
    assert.equal(state.State.Status, 'exited');
    assert.equal((await mdk('logs', 'mdk-test-exit-restart')).stdout, 'run\nrun\nrun\n');
  });

  /** exit-clients.js with KINDS on a `run -d -i --rm` container: the orphans, and whether the container is still there */
  async function clients(...kinds: string[]): Promise<{ orphans: string[]; ends: string[]; left: boolean }> {
    const r = await withOrphans([process.execPath, CLIENTS, w.image, ...kinds]);
    assert.equal(r.status, 0);
    const [id, ...ends] = r.out;
    assert.match(id ?? '', /^[a-f0-9]{64}$/);
    return { orphans: r.orphans.sort(), ends, left: (await mdk('ps', '-aq', '--no-trunc')).stdout.includes(id!) };
  }

  test('only a client that said it handles the exit and confirmed it stops container-exited; one such is enough', async () => {
    // confirmed (without doing the work, so the --rm container stays: nothing else handled its exit)
    for (const kinds of [['confirm'], ['plain', 'confirm'], ['hangup', 'confirm']]) {
      const c = await clients(...kinds);
      assert.deepEqual(c.orphans, [MONITOR], kinds.join(' '));
      assert.equal(c.left, true, `${kinds.join(' ')}: skipped, so nobody removed it`);
      await w.removeAll();
    }
    // not confirmed: container-exited runs and applies --rm
    for (const kinds of [['plain'], ['hangup'], ['detach'], ['detach', 'plain'], ['rogue']]) {
      const c = await clients(...kinds);
      assert.deepEqual(c.orphans, [MONITOR, NODE], kinds.join(' '));
      assert.equal(c.left, false, `${kinds.join(' ')}: container-exited removed it`);
    }
    const d = await clients('detach');
    assert.deepEqual(d.ends, ['detach: detached']);
  });

  test('the CLI killed (kill -9) after the exit, before it confirms: the monitor runs container-exited, --rm removes it', async () => {
    const cli = spawn(CLI, ['run', '-i', '--rm', '--name', 'mdk-test-exit-killed', '--network', 'none', w.image, 'sh', '-c', 'read x; exit 4'], {
      env: w.env.env,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const cliGone = new Promise((r) => cli.on('exit', r));
    let lock = -1;
    try {
      await until(async () => /^mdk-test-exit-killed Up /.test(await names()));
      const id = (await mdk('ps', '-q', '--no-trunc', '-f', 'name=mdk-test-exit-killed')).stdout.trim();
      const pid = JSON.parse((await mdk('inspect', id)).stdout)[0].State.Pid as number;
      const monitor = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      // the container's lock: the CLI's exited() waits for it, so it cannot confirm
      lock = nativeAddon().lock(join(w.env.root, 'run', 'locks', id));
      cli.stdin!.end('go\n');
      await until(async () => /^mdk-test-exit-killed Exited \(4\) /.test(await names()));
      await sleep(200);
      assert.ok(alive(monitor), 'the monitor waits for the CLI that handles the exit');
      cli.kill('SIGKILL');
      await cliGone;
      closeSync(lock);
      lock = -1;
      await until(async () => (await names()) === '', 10_000);
      await until(async () => !alive(monitor));
    } finally {
      if (lock >= 0) closeSync(lock);
      cli.kill('SIGKILL');
    }
  });
});
