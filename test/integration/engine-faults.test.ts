/**
 * Faults, as issue 5 lists them: kill -9 of the CLI at any step of `run -d`,
 * of a container's monitor, and a host reboot (every monitor and container
 * process killed, the run root wiped). Afterwards `ps -a` tells the truth
 * (Up only with a live process, else Exited with a code, Dead, or Created),
 * and `rm -f` removes everything — cgroups, writable layer, OCI state,
 * monitor, processes, mounts — and nothing else.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, PROJECT, sleep } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { ENGINE_CGROUP_PARENT } from '../helpers/image-env.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** cgroup directories of container ID, in every hierarchy */
function cgroupDirs(id: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync(CGROUP_ROOT)) {
    const d = join(CGROUP_ROOT, h, ENGINE_CGROUP_PARENT, id);
    if (existsSync(d)) out.push(d);
  }
  return out;
}

/** live processes that belong to container ID: in its cgroups, or holding its files (its monitor) */
function processesOf(id: string): { pid: number; why: string }[] {
  const out: { pid: number; why: string }[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue;
      if (readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`/${ENGINE_CGROUP_PARENT}/${id}`)) {
        out.push({ pid: Number(p), why: 'in its cgroup' });
        continue;
      }
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        let link = '';
        try {
          link = readlinkSync(`/proc/${p}/fd/${fd}`);
        } catch {
          continue;
        }
        if (link.includes(id)) {
          out.push({ pid: Number(p), why: `fd ${fd} -> ${link}` });
          break;
        }
      }
    } catch {
      // ended while we looked
    }
  }
  return out;
}

describe('engine: faults', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  const runRoot = () => join(w.env.root, 'run');
  checkEachTest(w);

  /** name -> [id, status] from ps -a */
  async function psAll(): Promise<Map<string, { id: string; status: string }>> {
    const r = await mdk('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Status}}');
    assert.equal(r.code, 0, r.stderr);
    const out = new Map<string, { id: string; status: string }>();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [id, name, ...status] = line.split(' ');
      out.set(name!, { id: id!, status: status.join(' ') });
    }
    return out;
  }

  /** what ps says agrees with what runs */
  function assertTruthful(id: string, status: string): void {
    const procs = processesOf(id).filter((p) => p.why === 'in its cgroup');
    if (status.startsWith('Up')) assert.ok(procs.length > 0, `${id} is "${status}" but nothing of it runs`);
    else if (status !== 'Created') assert.deepEqual(procs, [], `${id} is "${status}" but processes of it run`);
  }

  /** rm -f ID removed everything of it */
  async function assertGone(id: string): Promise<void> {
    for (let i = 0; i < 60 && processesOf(id).length; i++) await sleep(50);
    assert.deepEqual(processesOf(id), [], 'no process of it (container or monitor)');
    assert.deepEqual(cgroupDirs(id), [], 'no cgroup of it');
    assert.equal(existsSync(join(w.env.root, 'containers', id)), false, 'no writable layer or log');
    assert.equal(existsSync(join(runRoot(), 'oci', id)), false, 'no OCI state');
    assert.equal(existsSync(join(runRoot(), 'locks', id)), false, 'no lock file');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.equal(mounts.includes(id), false, 'nothing of it mounted');
    assert.equal((await mdk('inspect', id)).code, 1, 'not known any more (Docker: No such object, exit 1)');
  }

  test('kill -9 of the CLI at any step of run -d: ps -a tells the truth, rm -f cleans everything', async () => {
    for (const delay of [0, 40, 80, 120, 160, 220, 300, 450]) {
      const name = `mdk-test-fault-cli-${delay}`;
      const child = spawn(CLI, ['run', '-d', '--name', name, w.image, 'sleep', '60'], { env: w.env.env, stdio: 'ignore' });
      const exited = new Promise((r) => child.on('exit', r));
      await sleep(delay);
      child.kill('SIGKILL');
      await exited;
      await sleep(100);
      const seen = (await psAll()).get(name);
      if (!seen) {
        // killed before the record: nothing of it may be left
        const dirs = join(w.env.root, 'containers');
        assert.deepEqual(existsSync(dirs) ? readdirSync(dirs) : [], [], `${delay} ms: a container dir without a record`);
        continue;
      }
      assertTruthful(seen.id, seen.status);
      const rm = await mdk('rm', '-f', name);
      assert.equal(rm.code, 0, `${delay} ms (${seen.status}): ${rm.stderr}`);
      await assertGone(seen.id);
    }
    // the containers that were not touched are all still there
    const other = (await mdk('run', '-d', '--name', 'mdk-test-fault-bystander', w.image, 'sleep', '60')).stdout.trim();
    assert.match((await psAll()).get('mdk-test-fault-bystander')?.status ?? '', /^Up/);
    assert.equal((await mdk('rm', '-f', other)).code, 0);
  });

  test('rm -f of a container whose runtime state directory has no state (a create killed right after claiming the id)', async () => {
    const id = (await mdk('run', '-d', '--name', 'mdk-test-fault-nostate', w.image, 'sleep', '60')).stdout.trim();
    rmSync(join(runRoot(), 'oci', id, 'state.json'));
    const rm = await mdk('rm', '-f', id);
    assert.equal(rm.code, 0, rm.stderr);
    await assertGone(id);
  });

  test('kill -9 between the runtime\'s create and start: ps -a says Created (not Dead), start and rm -f work', async () => {
    const id = (await mdk('create', '--name', 'mdk-test-fault-parked', w.image, 'sleep', '60')).stdout.trim();
    // the engine's start, killed where `run` attaches: after the runtime's create, before its start
    const script = `const { Engine } = await import(${JSON.stringify(`${PROJECT}build/tsc/src/engine/engine.js`)});
      const { openStore } = await import(${JSON.stringify(`${PROJECT}build/tsc/src/cli/image-context.js`)});
      await new Engine(openStore()).start(process.argv[1], () => process.kill(process.pid, 'SIGKILL'));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, id], { env: w.env.env });
    assert.equal(r.signal, 'SIGKILL', r.stderr.toString());
    const seen = (await psAll()).get('mdk-test-fault-parked')!;
    assert.equal(seen.status, 'Created');
    assert.ok(processesOf(id).some((p) => p.why === 'in its cgroup'), 'its process is parked, waiting for start');
    assert.equal((await mdk('start', id)).code, 0);
    assert.match((await psAll()).get('mdk-test-fault-parked')!.status, /^Up/);
    assert.equal((await mdk('rm', '-f', id)).code, 0);
    await assertGone(id);
  });

  test('kill -9 of the monitor: its container ends, ps -a says Dead with a reason, rm -f cleans', async () => {
    const id = (await mdk('run', '-d', '--name', 'mdk-test-fault-monitor', w.image, 'sleep', '60')).stdout.trim();
    const bystander = (await mdk('run', '-d', '--name', 'mdk-test-fault-other', w.image, 'sleep', '60')).stdout.trim();
    const pid = JSON.parse((await mdk('inspect', id)).stdout)[0].State.Pid as number;
    const monitor = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    assert.ok(readlinkSync(`/proc/${monitor}/exe`).includes('mdk-init'), 'the container\'s parent is its monitor');
    process.kill(monitor, 'SIGKILL');
    for (let i = 0; i < 100 && processesOf(id).some((p) => p.why === 'in its cgroup'); i++) await sleep(50);
    const seen = (await psAll()).get('mdk-test-fault-monitor')!;
    assert.equal(seen.status, 'Dead');
    assertTruthful(id, seen.status);
    const state = JSON.parse((await mdk('inspect', id)).stdout)[0].State;
    assert.equal(state.Dead, true);
    assert.match(state.Error, /monitor/);
    assert.match((await psAll()).get('mdk-test-fault-other')!.status, /^Up/, 'the other container runs on');
    assert.equal((await mdk('rm', '-f', id)).code, 0);
    await assertGone(id);
    assert.equal((await mdk('rm', '-f', bystander)).code, 0);
    await assertGone(bystander);
  });

  test('a host reboot (every process killed, the run root wiped): ps -a tells the truth, rm -f cleans', async () => {
    const running = (await mdk('run', '-d', '--name', 'mdk-test-fault-boot-up', w.image, 'sleep', '60')).stdout.trim();
    const exited = (await mdk('run', '-d', '--name', 'mdk-test-fault-boot-exited', w.image, 'sh', '-c', 'exit 3')).stdout.trim();
    const created = (await mdk('create', '--name', 'mdk-test-fault-boot-created', w.image, 'true')).stdout.trim();
    assert.equal((await mdk('wait', exited)).stdout, '3\n');
    // the "reboot": every process of these containers, monitors included, then the run root (a tmpfs at boot)
    for (const id of [running, exited, created]) for (const p of processesOf(id)) process.kill(p.pid, 'SIGKILL');
    for (let i = 0; i < 100 && [running, exited, created].some((id) => processesOf(id).length); i++) await sleep(50);
    rmSync(runRoot(), { recursive: true, force: true });
    const ps = await psAll();
    assert.equal(ps.get('mdk-test-fault-boot-up')?.status, 'Dead');
    assert.match(ps.get('mdk-test-fault-boot-exited')?.status ?? '', /^Exited \(3\) /);
    assert.equal(ps.get('mdk-test-fault-boot-created')?.status, 'Created');
    // it starts again after the reboot, as Docker's containers do
    const again = await mdk('start', 'mdk-test-fault-boot-exited');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await mdk('wait', exited)).stdout, '3\n');
    for (const id of [running, exited, created]) {
      const rm = await mdk('rm', '-f', id);
      assert.equal(rm.code, 0, rm.stderr);
      await assertGone(id);
    }
  });

  test('a generated name that is taken is drawn again (100 containers collide now and then)', async () => {
    const taken = (await mdk('create', '--name', 'mdk-test-fault-name', w.image, 'true')).stdout.trim();
    // names drawn: the taken one twice, then a free one
    const script = `const { Engine } = await import(${JSON.stringify(`${PROJECT}build/tsc/src/engine/engine.js`)});
      const { openStore } = await import(${JSON.stringify(`${PROJECT}build/tsc/src/cli/image-context.js`)});
      const names = ['mdk-test-fault-name', 'mdk-test-fault-name', 'mdk-test-fault-drawn'];
      const e = new Engine(openStore(), { names: () => names.shift() });
      const r = await e.create({ image: process.argv[1], command: ['true'], env: [], tty: false, openStdin: false, readOnly: false, mounts: [],
        ulimits: [], capAdd: [], capDrop: [], privileged: false, noNewPrivileges: false, seccomp: 'default', init: false, labels: {},
        restart: { name: 'no', maximumRetryCount: 0 }, autoRemove: false, log: { maxSize: 0, maxFiles: 1 }, network: 'none',
        networkAliases: [], publish: [], publishAll: false, expose: [], dns: [], dnsSearch: [], dnsOptions: [], addHost: [] });
      console.log(r.name);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, w.image], { env: w.env.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'mdk-test-fault-drawn\n');
    const ps = await psAll();
    assert.equal(ps.get('mdk-test-fault-name')?.id, taken);
    assert.equal(ps.get('mdk-test-fault-drawn')?.status, 'Created');
  });

  test('bad input: a missing bind path, a name in use, a bad memory value, a missing image: one line, 125', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--mount', 'type=bind,source=/mdk-test-no-such-path,target=/x', w.image, 'true'], /bind source path does not exist: \/mdk-test-no-such-path$/m],
      [['run', '-m', '12qb', w.image, 'true'], /invalid argument "12qb" for "--memory" flag/],
      // a registry that is not there (the tests reach no other host): refused at once
      [['run', '127.0.0.1:1/mdk-test-no-such-image:latest', 'true'], /mdk-test-no-such-image/],
    ];
    assert.equal((await mdk('create', '--name', 'mdk-test-fault-taken', w.image, 'true')).code, 0);
    cases.push([['run', '--name', 'mdk-test-fault-taken', w.image, 'true'], /^moby-dick: Conflict\. The container name "\/mdk-test-fault-taken" is already in use/]);
    for (const [args, message] of cases) {
      const r = await mdk(...args);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      // Docker's progress line ("Unable to find image … locally") may come first; the error is one line
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('moby-dick: '));
      assert.equal(errors.length, 1, `one error line: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split('\n').at(-1), errors[0], `the error is the last line: ${r.stderr}`);
    }
    assert.deepEqual([...(await psAll()).keys()], ['mdk-test-fault-taken'], 'no container was left by a refused run');
  });
});
