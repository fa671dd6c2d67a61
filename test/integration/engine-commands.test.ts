/**
 * The engine's everyday commands beyond the lifecycle, as a Docker user
 * checks them: pause and unpause, restart, top, stats, rename, container
 * prune, volumes, --init, attach (with and without a terminal) and run -it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, PROJECT, run, sleep, until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

type Step = { send: string } | { expect: string } | { sleep: number };

describe('engine: everyday commands', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w, () => mdk('volume', 'prune', '-a', '-f'));


  /** moby-dick ARGS on a terminal (test/helpers/pty-driver.py), in the test's store. */
  const onTerminal = (args: string[], steps: Step[]) =>
    run('python3', [`${PROJECT}test/helpers/pty-driver.py`, '24', '80', JSON.stringify(steps), CLI, ...args], { env: w.env.env, timeoutMs: 30_000 });

  const runD = async (...args: string[]): Promise<string> => {
    const r = await mdk('run', '-d', ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  test('pause freezes every process (a counter stops), ps and inspect say so; unpause thaws; Docker\'s errors', async () => {
    const id = await runD('--name', 'mdk-test-counter', w.image, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.02; done');
    const counter = join(w.env.root, 'containers', id, 'diff', 'tmp', 'count');
    const count = (): number => Number(readFileSync(counter, 'utf8').trim() || 0);
    await until(async () => existsSync(counter) && count() > 0);
    const p = await mdk('pause', 'mdk-test-counter');
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, 'mdk-test-counter\n');
    const frozen = count();
    await sleep(500);
    assert.equal(count(), frozen, 'the counter does not advance while paused');
    assert.match((await mdk('ps', '--format', '{{.Names}} {{.Status}} {{.State}}')).stdout, /^mdk-test-counter Up (Less than a second|\d+ seconds?) \(Paused\) paused$/m);
    const state = JSON.parse((await mdk('inspect', '--format', '{{json .State}}', id)).stdout);
    assert.equal(state.Paused, true);
    assert.equal(state.Running, true);
    assert.equal(state.Status, 'paused');
    const again = await mdk('pause', id);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `moby-dick: Container ${id} is already paused\n`);
    const exec = await mdk('exec', id, 'true');
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /is paused, unpause the container before exec/);
    const attached = await mdk('attach', id);
    assert.equal(attached.code, 1);
    assert.match(attached.stderr, /You cannot attach to a paused container, unpause it first/);
    const u = await mdk('unpause', 'mdk-test-counter');
    assert.equal(u.code, 0, u.stderr);
    await until(async () => count() > frozen);
    assert.equal(JSON.parse((await mdk('inspect', id)).stdout)[0].State.Paused, false);
    const notPaused = await mdk('unpause', id);
    assert.equal(notPaused.code, 1);
    assert.equal(notPaused.stderr, `moby-dick: Container ${id} is not paused\n`);
    // a paused container stops (thawed first) and then cannot be paused
    assert.equal((await mdk('pause', id)).code, 0);
    assert.equal((await mdk('stop', '-t', '1', id)).code, 0);
    const stopped = await mdk('pause', id);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, `moby-dick: Container ${id} is not running\n`);
    const none = await mdk('pause');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /"moby-dick pause" requires at least 1 argument/);
  });

  test('restart: stop (SIGKILL after -t) then start; the same container runs afresh', async () => {
    const id = await runD('--name', 'mdk-test-again', w.image, 'sh', '-c', 'trap "" TERM; echo started; while true; do sleep 0.1; done');
    await until(async () => (await mdk('logs', id)).stdout === 'started\n');
    const before = JSON.parse((await mdk('inspect', id)).stdout)[0].State;
    const t0 = Date.now();
    const r = await mdk('restart', '-t', '1', 'mdk-test-again');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'mdk-test-again\n');
    assert.ok(Date.now() - t0 >= 1000, 'it waited for the timeout, then killed');
    const after = JSON.parse((await mdk('inspect', id)).stdout)[0].State;
    assert.equal(after.Running, true);
    assert.notEqual(after.Pid, before.Pid);
    assert.ok(after.StartedAt > before.StartedAt);
    await until(async () => (await mdk('logs', id)).stdout === 'started\nstarted\n');
    // the restarted container is the engine's as before: stop reaches it (no lock left held)
    assert.equal((await mdk('stop', '-t', '1', id)).code, 0);
    assert.equal((await mdk('wait', id)).stdout, '137\n');
    // a created container is just started
    const c = (await mdk('create', w.image, 'sleep', '60')).stdout.trim();
    assert.equal((await mdk('restart', c)).code, 0);
    assert.equal(JSON.parse((await mdk('inspect', c)).stdout)[0].State.Status, 'running');
    // -s: another signal than the stop signal, for restart and stop
    const usr1 = await runD(w.image, 'sh', '-c', 'trap "exit 7" USR1; while true; do sleep 0.1; done');
    await until(async () => (await mdk('top', usr1)).stdout.includes('sleep'));
    assert.equal((await mdk('restart', '-s', 'USR1', '-t', '5', usr1)).code, 0);
    assert.equal(JSON.parse((await mdk('inspect', usr1)).stdout)[0].State.Running, true);
    await until(async () => (await mdk('top', usr1)).stdout.includes('sleep'));
    const t1 = Date.now();
    assert.equal((await mdk('stop', '-s', 'SIGUSR1', '-t', '5', usr1)).code, 0);
    assert.ok(Date.now() - t1 < 4000, 'the trap ended it, no SIGKILL after 5 s');
    assert.equal((await mdk('wait', usr1)).stdout, '7\n');
    const missing = await mdk('restart', 'mdk-test-nothing');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'moby-dick: No such container: mdk-test-nothing\n');
  });

  test('top: the container\'s processes as the host\'s ps shows them; ps options; not running', async () => {
    const id = await runD(w.image, 'sh', '-c', 'sleep 61 & sleep 62; wait');
    await until(async () => (await mdk('top', id)).stdout.includes('sleep 62'));
    const t = await mdk('top', id);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    assert.equal(lines.length, 4, t.stdout);
    const pid = JSON.parse((await mdk('inspect', id)).stdout)[0].State.Pid;
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => r[0]), ['root', 'root', 'root']);
    assert.equal(rows[0]![1], String(pid), 'the first is the container\'s init, as the host numbers it');
    assert.match(lines[1]!, /sh -c sleep 61 & sleep 62; wait$/);
    assert.deepEqual(lines.slice(2).map((l) => l.replace(/.* /, '')).sort(), ['61', '62']);
    assert.ok(rows.slice(1).every((r) => r[2] === String(pid)), 'both sleeps are children of sh');
    const custom = await mdk('top', id, '-o', 'pid,comm');
    assert.equal(custom.code, 0, custom.stderr);
    assert.deepEqual(custom.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)[1]), ['COMMAND', 'sh', 'sleep', 'sleep']);
    assert.equal((await mdk('kill', id)).code, 0);
    await mdk('wait', id);
    const stopped = await mdk('top', id);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, `moby-dick: container ${id} is not running\n`);
  });

  test('stats --no-stream: CPU % of a busy loop near a core, an idle one near 0; memory against its limit; pids', async () => {
    const busy = await runD('--name', 'mdk-test-busy', '-m', '64m', w.image, 'sh', '-c', 'while true; do :; done');
    const idle = await runD('--name', 'mdk-test-idle', w.image, 'sh', '-c', 'sleep 60 & sleep 61; wait');
    const r = await mdk('stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}|{{.ID}}|{{.Container}}', 'mdk-test-busy', idle);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split('|'));
    assert.equal(rows.length, 2, r.stdout);
    const [b, i] = rows as [string[], string[]];
    assert.equal(b[0], 'mdk-test-busy');
    // at most one core; on a host busy with other work, well above idle
    assert.ok(parseFloat(b[1]!) > 20 && parseFloat(b[1]!) < 110, `a busy loop uses about one core: ${b[1]}`);
    assert.ok(parseFloat(i[1]!) < 10, `sleeping uses almost nothing: ${i[1]}`);
    const mem = /^([\d.]+)(KiB|MiB) \/ 64MiB$/.exec(b[2]!);
    assert.ok(mem, `usage against the -m limit: ${b[2]}`);
    const used = Number(mem[1]) * (mem[2] === 'MiB' ? 1024 * 1024 : 1024);
    assert.ok(used > 0 && used < 16 * 1024 * 1024, b[2]);
    assert.ok(Math.abs(parseFloat(b[3]!) - (used / (64 * 1024 * 1024)) * 100) < 0.1, `MEM % is usage over limit: ${b[3]}`);
    assert.match(i[2]!, /^[\d.]+(B|KiB|MiB) \/ [\d.]+GiB$/, 'no limit: the host\'s memory');
    assert.equal(b[4], '1');
    assert.equal(i[4], '3', 'sh and its two sleeps');
    assert.equal(b[5], busy.slice(0, 12));
    assert.deepEqual([b[6], i[6]], ['mdk-test-busy', idle]);
    const t = await mdk('stats', '--no-stream');
    assert.match(t.stdout, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/m);
    assert.match(t.stdout, new RegExp(`^${busy.slice(0, 12)} +mdk-test-busy +[\\d.]+% +[\\d.]+\\w+ / 64MiB +[\\d.]+% +\\S+ / \\S+ +\\S+ / \\S+ +1$`, 'm'));
    assert.equal(t.stdout.trimEnd().split('\n').length, 3, 'both running containers, nothing else');
    const j = await mdk('stats', '--no-stream', '--format', 'json', idle);
    assert.deepEqual(Object.keys(JSON.parse(j.stdout)), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    const badFormat = await mdk('stats', '--no-stream', '--format', '{{bogus .X}}');
    assert.equal(badFormat.code, 1);
    assert.match(badFormat.stderr, /template parsing error: template: :1: function "bogus" not defined/);
    const missing = await mdk('stats', '--no-stream', 'mdk-test-nothing');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: mdk-test-nothing/);
  });

  test('rm of several: a missing one is said, the others are still removed, exit 1 (as Docker)', async () => {
    await mdk('create', '--name', 'mdk-test-rm1', w.image, 'true');
    await runD('--name', 'mdk-test-rm2', w.image, 'sleep', '60');
    const r = await mdk('rm', '-f', 'mdk-test-rm1', 'mdk-test-nothing', 'mdk-test-rm2');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'mdk-test-rm1\nmdk-test-rm2\n');
    assert.match(r.stderr, /^moby-dick: No such container: mdk-test-nothing\n$/);
    assert.equal((await mdk('ps', '-aq', '--filter', 'name=mdk-test-rm')).stdout, '');
  });

  test('rename: ps shows the new name; taken, same and invalid names are Docker\'s errors', async () => {
    const id = await runD('--name', 'mdk-test-old', w.image, 'sleep', '60');
    await mdk('create', '--name', 'mdk-test-taken', w.image, 'true');
    const r = await mdk('rename', 'mdk-test-old', 'mdk-test-new');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match((await mdk('ps', '--format', '{{.ID}} {{.Names}}')).stdout, new RegExp(`^${id.slice(0, 12)} mdk-test-new$`, 'm'));
    assert.equal(JSON.parse((await mdk('inspect', 'mdk-test-new')).stdout)[0].Name, '/mdk-test-new');
    assert.match((await mdk('inspect', 'mdk-test-old')).stderr, /No such object: mdk-test-old/);
    const taken = await mdk('rename', id, 'mdk-test-taken');
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^moby-dick: Error when allocating new name: Conflict\. The container name "\/mdk-test-taken" is already in use by container "[a-f0-9]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/);
    assert.equal(JSON.parse((await mdk('inspect', id)).stdout)[0].Name, '/mdk-test-new', 'it kept its name');
    const same = await mdk('rename', 'mdk-test-new', 'mdk-test-new');
    assert.equal(same.code, 1);
    assert.equal(same.stderr, 'moby-dick: Renaming a container with the same name as its current name\n');
    const bad = await mdk('rename', id, 'mdk test');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'moby-dick: Invalid container name (mdk test), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n');
    const one = await mdk('rename', id);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /"moby-dick rename" requires exactly 2 arguments/);
    // ten renames racing for one name: one wins
    const others = await Promise.all(Array.from({ length: 10 }, () => mdk('create', w.image, 'true')));
    const races = await Promise.all(others.map((o) => mdk('rename', o.stdout.trim(), 'mdk-test-prize')));
    assert.equal(races.filter((x) => x.code === 0).length, 1, races.map((x) => x.stderr).join(''));
  });

  test('container prune removes only stopped containers and tells the space reclaimed', async () => {
    const running = await runD(w.image, 'sleep', '60');
    const exited = (await mdk('run', w.image, 'sh', '-c', 'head -c 100000 /dev/zero > /big')).code;
    assert.equal(exited, 0);
    const created = (await mdk('create', w.image, 'true')).stdout.trim();
    const all = (await mdk('ps', '-aq', '--no-trunc')).stdout.trim().split('\n');
    const exitedId = all.find((x) => x !== running && x !== created)!;
    const r = await mdk('container', 'prune', '-f');
    assert.equal(r.code, 0, r.stderr);
    const [head, ...rest] = r.stdout.split('\n');
    assert.equal(head, 'Deleted Containers:');
    assert.deepEqual(rest.slice(0, 2).sort(), [exitedId, created].sort());
    assert.deepEqual(rest.slice(2), ['', 'Total reclaimed space: 100kB', '']);
    assert.equal((await mdk('ps', '-aq', '--no-trunc')).stdout, `${running}\n`, 'the running one stays');
    assert.equal((await mdk('container', 'prune', '-f')).stdout, 'Total reclaimed space: 0B\n');
    // without -f it asks; no answer is no
    const asked = await w.env.mdk(['container', 'prune'], { input: 'n\n' });
    assert.match(asked.stdout, /^WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] $/);
    // container ls is ps
    assert.equal((await mdk('container', 'ls', '-q', '--no-trunc')).stdout, `${running}\n`);
    const unknown = await mdk('container', 'mdk-test-nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "mdk-test-nope" for "moby-dick container"/);
  });

  test('volume create -o: a tmpfs volume (mounted in the container only), a bind volume, bad options', async () => {
    const t = await mdk('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m,mode=1770', 'mdk-test-tmpvol');
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(JSON.parse((await mdk('volume', 'inspect', 'mdk-test-tmpvol')).stdout)[0].Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=1770' });
    const r = await mdk('run', '--rm', '-v', 'mdk-test-tmpvol:/data', w.image, 'sh', '-c', 'grep " /data " /proc/mounts; stat -c %a /data');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tmpfs \/data tmpfs rw,.*size=1024k,mode=1770/m);
    assert.match(r.stdout, /^1770$/m);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes('mdk-test-tmpvol'), 'nothing mounted on the host');
    const dir = mkdtempSync('/tmp/mdk-test-bindvol-');
    try {
      assert.equal((await mdk('volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dir}`, 'mdk-test-bindvol')).code, 0);
      const b = await mdk('run', '--rm', '-v', 'mdk-test-bindvol:/data', w.image, 'sh', '-c', 'echo through > /data/f');
      assert.equal(b.code, 0, b.stderr);
      assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'through\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const args of [['-o', 'colour=red'], ['-o', 'type=tmpfs'], ['-o', 'o=size=1m']]) {
      const bad = await mdk('volume', 'create', ...args, 'mdk-test-badvol');
      assert.equal(bad.code, 1, args.join(' '));
      assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
    }
    await w.removeAll();
    assert.equal((await mdk('volume', 'rm', 'mdk-test-tmpvol', 'mdk-test-bindvol')).code, 0);
  });

  test('volumes: create, ls, inspect, used by a container, rm refused while in use, prune', async () => {
    const c = await mdk('volume', 'create', '--label', 'team=whales', 'mdk-test-v1');
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, 'mdk-test-v1\n');
    assert.match((await mdk('volume', 'ls')).stdout, /^DRIVER +VOLUME NAME\nlocal +mdk-test-v1\n$/);
    const doc = JSON.parse((await mdk('volume', 'inspect', 'mdk-test-v1')).stdout)[0];
    assert.equal(doc.Name, 'mdk-test-v1');
    assert.equal(doc.Driver, 'local');
    assert.equal(doc.Mountpoint, join(w.env.root, 'volumes', 'mdk-test-v1', '_data'));
    assert.deepEqual(doc.Labels, { team: 'whales' });
    assert.match(doc.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const user = await runD('-v', 'mdk-test-v1:/data', w.image, 'sh', '-c', 'echo kept > /data/f; sleep 60');
    await until(async () => existsSync(join(doc.Mountpoint, 'f')));
    const refused = await mdk('volume', 'rm', 'mdk-test-v1');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^moby-dick: remove mdk-test-v1: volume is in use - \\[${user}\\]`));
    assert.match((await mdk('volume', 'ls', '-q', '-f', 'dangling=true')).stdout, /^$/);
    assert.equal((await mdk('rm', '-f', user)).code, 0);
    assert.equal((await mdk('volume', 'ls', '-q', '-f', 'dangling=true')).stdout, 'mdk-test-v1\n');
    // an anonymous volume, left behind by rm without -v, and a named one: prune takes only the anonymous one
    const anon = (await mdk('create', '-v', '/anon', w.image, 'true')).stdout.trim();
    assert.equal((await mdk('rm', anon)).code, 0);
    const names = (await mdk('volume', 'ls', '-q')).stdout.trim().split('\n');
    const anonymous = names.find((n) => /^[a-f0-9]{64}$/.test(n));
    assert.ok(anonymous, names.join(','));
    const p = await mdk('volume', 'prune', '-f');
    assert.equal(p.stdout, `Deleted Volumes:\n${anonymous}\n\nTotal reclaimed space: 0B\n`);
    assert.equal((await mdk('volume', 'ls', '-q')).stdout, 'mdk-test-v1\n');
    const r = await mdk('volume', 'rm', 'mdk-test-v1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'mdk-test-v1\n');
    assert.ok(!existsSync(join(w.env.root, 'volumes', 'mdk-test-v1')));
    const gone = await mdk('volume', 'inspect', 'mdk-test-v1');
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'moby-dick: get mdk-test-v1: no such volume\n');
    assert.equal((await mdk('volume', 'rm', '-f', 'mdk-test-v1')).code, 0, '-f: a missing volume is no error');
    const bad = await mdk('volume', 'create', 'mdk-test/../x');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /includes invalid characters for a local volume name/);
    const outside = await mdk('run', '--rm', '--mount', 'type=volume,source=../mdk-test-out,target=/x', w.image, 'true');
    assert.equal(outside.code, 125);
    assert.match(outside.stderr, /"\.\.\/mdk-test-out" includes invalid characters for a local volume name/);
    assert.ok(!existsSync(join(w.env.root, 'mdk-test-out')), 'nothing was made outside the volumes');
    // a named volume's data is counted when prune -a removes it
    await mdk('run', '--rm', '-v', 'mdk-test-v2:/d', w.image, 'sh', '-c', 'head -c 5000 /dev/zero > /d/f');
    assert.equal((await mdk('volume', 'prune', '-a', '-f')).stdout, 'Deleted Volumes:\nmdk-test-v2\n\nTotal reclaimed space: 5kB\n');
    const generated = (await mdk('volume', 'create')).stdout.trim();
    assert.match(generated, /^[a-f0-9]{64}$/);
    assert.equal((await mdk('volume', 'rm', generated)).code, 0);
  });

  test('--init: pid 1 is the init, not the command; it reaps orphans and passes the stop signal on', async () => {
    const r = await w.env.mdk(['run', '--rm', '--init', w.image, 'sh', '-c', 'echo $$; tr "\\0" " " < /proc/1/cmdline; echo; cat /proc/1/comm; tr "\\0" "\\n" < /proc/1/environ | grep -c MDK_TEST_HOST_SECRET'], { env: { MDK_TEST_HOST_SECRET: 'x' } });
    const [shPid, cmdline, comm, secrets] = r.stdout.split('\n');
    assert.notEqual(shPid, '1', 'the command is not pid 1');
    assert.ok(Number(shPid) > 1);
    assert.doesNotMatch(cmdline!, /sh -c/, `pid 1 is the init: ${cmdline}`);
    // the helper's path on the host and the CLI's environment stay outside
    assert.equal(cmdline!.trim(), 'init');
    assert.equal(comm, 'init');
    assert.equal(secrets, '0', 'the host environment is not pid 1\'s');
    assert.equal((await mdk('ps', '-aq')).stdout, '', '--rm: gone');
    // an orphan that ends: the init reaps it; a command as pid 1 that never waits leaves a zombie
    const zombies = async (id: string): Promise<number> => {
      const e = await mdk('exec', id, 'sh', '-c', 'cat /proc/[0-9]*/stat');
      return e.stdout.split('\n').filter((l) => /\) Z /.test(l)).length;
    };
    const orphan = '(sleep 0.2 &); exec sleep 60';
    const withInit = await runD('--init', w.image, 'sh', '-c', orphan);
    const without = await runD(w.image, 'sh', '-c', orphan);
    await sleep(800);
    assert.equal(await zombies(without), 1, 'without --init the orphan stays a zombie (the control)');
    assert.equal(await zombies(withInit), 0, 'with --init it is reaped');
    // sleep as pid 1 ignores SIGTERM; under the init it gets it and ends
    const t0 = Date.now();
    assert.equal((await mdk('stop', '-t', '5', withInit)).code, 0);
    assert.ok(Date.now() - t0 < 4000, 'the init passed SIGTERM on');
    assert.equal((await mdk('wait', withInit)).stdout, '143\n');
    assert.equal(JSON.parse((await mdk('inspect', withInit)).stdout)[0].HostConfig.Init, true);
  });

  test('--init: pid 1 holds only the container\'s stdio and is not dumpable (no host fd through /proc/1/fd or pidfd_getfd)', async () => {
    // the monitor's json log, attach socket and pipes were all open in pid 1, which never execs
    const id = await runD('--init', w.image, 'sh', '-c', 'ls /proc/1/fd | tr "\\n" " "; echo; readlink /proc/1/fd/1 || echo unreachable; echo listed; sleep 60');
    await until(async () => (await mdk('logs', id)).stdout.includes('listed'));
    const [listed, link] = (await mdk('logs', id)).stdout.split('\n');
    assert.equal(listed, '0 1 2 ');
    // not dumpable: reaching its fds (readlink, open, pidfd_getfd) needs CAP_SYS_PTRACE, which the container lacks
    assert.equal(link, 'unreachable');
    const pid = JSON.parse((await mdk('inspect', id)).stdout)[0].State.Pid as number;
    const { readdirSync, readlinkSync } = await import('node:fs');
    const fds = readdirSync(`/proc/${pid}/fd`).sort();
    assert.deepEqual(fds, ['0', '1', '2'], fds.map((f) => `${f} -> ${readlinkSync(`/proc/${pid}/fd/${f}`)}`).join(', '));
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Name:\s+init$/m);
  });

  test('CVE-2025-31133: a volume over /dev with a planted /dev/null symlink is refused, not a writable bind of the host file', async () => {
    assert.equal((await mdk('volume', 'create', 'mdk-test-devvol')).code, 0);
    assert.equal((await mdk('run', '--rm', '-v', 'mdk-test-devvol:/x', w.image, 'ln', '-s', '/proc/sys/kernel/core_pattern', '/x/null')).code, 0);
    const r = await mdk('run', '--rm', '-v', 'mdk-test-devvol:/dev', w.image, 'sh', '-c', 'grep " /proc/keys " /proc/self/mountinfo');
    assert.doesNotMatch(r.stdout, /core_pattern/);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /\/dev\/null in the container is not the null device \(char 1:3\)/);
    // the host's /dev bound over /dev (a common way to reach devices) has the real one
    const host = await mdk('run', '--rm', '-v', '/dev:/dev', w.image, 'sh', '-c', 'grep " /proc/keys " /proc/self/mountinfo');
    assert.equal(host.code, 0, host.stderr);
    assert.match(host.stdout, /\/null \/proc\/keys ro[, ]/);
    // over /proc only runc's few files (Docker refuses the rest through runc too); an existing directory of /sys is the user's to cover (sysfs is read-only: nothing can be made there)
    const proc = await mdk('run', '--rm', '-v', 'mdk-test-devvol:/proc/sys/kernel', w.image, 'true');
    assert.equal(proc.code, 125);
    assert.match(proc.stderr, /\/proc\/sys\/kernel/);
    // refused by create itself (the runtime's rules), not at every start of a container left behind
    const created = await mdk('create', '-v', 'mdk-test-devvol:/proc/sys/kernel', w.image, 'true');
    assert.equal(created.code, 125);
    assert.equal((await mdk('ps', '-aq')).stdout, '');
    const uptime = await mdk('run', '--rm', '-v', '/proc/uptime:/proc/uptime:ro', w.image, 'true');
    assert.equal(uptime.code, 0, uptime.stderr);
    const sys = await mdk('run', '--rm', '-v', 'mdk-test-devvol:/sys/kernel/mm', w.image, 'ls', '/sys/kernel/mm/null');
    assert.equal(sys.code, 0, sys.stderr);
  });

  test('attach: output and stdin of a running container, its exit code; refused when stopped', async () => {
    const id = await runD('-i', w.image, 'sh', '-c', 'read line; echo "got $line"; echo bye >&2; exit 3');
    const a = await w.env.mdk(['attach', id], { input: 'hello\n' });
    assert.equal(a.stdout, 'got hello\n', a.stderr);
    assert.equal(a.stderr, 'bye\n');
    assert.equal(a.code, 3);
    const stopped = await mdk('attach', id);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, 'moby-dick: You cannot attach to a stopped container, start it first\n');
    // --no-stdin: output only, from when it attached
    const out = await runD(w.image, 'sh', '-c', 'echo early; sleep 1; echo late; exit 2');
    const b = await mdk('attach', '--no-stdin', out);
    assert.equal(b.stdout, 'late\n', b.stderr);
    assert.equal(b.code, 2);
    // --sig-proxy: a signal to attach goes to the container
    const trap = await runD(w.image, 'sh', '-c', 'trap "echo got term; exit 9" TERM; while true; do sleep 0.1; done');
    await until(async () => (await mdk('top', trap)).stdout.includes('sleep'));
    let attachPid = 0;
    const c = w.env.mdk(['attach', '--sig-proxy', trap], { onSpawn: (pid) => (attachPid = pid) });
    await sleep(500);
    process.kill(attachPid, 'SIGTERM');
    const cr = await c;
    assert.equal(cr.stdout, 'got term\n', cr.stderr);
    assert.equal(cr.code, 9);
  });

  test('run -dit, then attach on a terminal: a shell answers; ctrl-p ctrl-q detaches and it runs on', async () => {
    const id = await runD('-it', '--name', 'mdk-test-shell', w.image, 'sh');
    const r = await onTerminal(['attach', 'mdk-test-shell'], [{ send: 'echo $((6*7))\r' }, { expect: '42' }, { send: '\x10\x11' }]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /read escape sequence/);
    assert.equal(JSON.parse((await mdk('inspect', id)).stdout)[0].State.Running, true, 'it runs on');
    // other detach keys; the default ones then reach the shell
    const k = await onTerminal(['attach', '--detach-keys', 'ctrl-x', id], [{ send: 'echo $((7*7))\r' }, { expect: '49' }, { send: '\x18' }]);
    assert.equal(k.code, 1, k.stdout);
    // exit ends the container; attach returns its status
    const e = await onTerminal(['attach', id], [{ send: 'exit 5\r' }]);
    assert.equal(e.code, 5, e.stdout);
    assert.equal((await mdk('wait', id)).stdout, '5\n');
  });

  test('stats on a terminal redraws every second until interrupted', async () => {
    const id = await runD('--name', 'mdk-test-watched', w.image, 'sleep', '60');
    const r = await onTerminal(['stats', id], [{ expect: 'mdk-test-watched[\\s\\S]*mdk-test-watched' }, { send: '\x03' }]);
    assert.equal(r.code, 130, r.stdout);
    assert.ok(r.stdout.split('\x1b[2J\x1b[H').length >= 3, 'the screen cleared before each table');
    assert.match(r.stdout, /CONTAINER ID +NAME +CPU %/);
  });

  test('run -it: an interactive shell on a terminal, its exit status', async () => {
    const r = await onTerminal(['run', '-it', '--rm', w.image, 'sh'], [{ expect: '# ' }, { send: 'echo $((6*7)); tty\r' }, { expect: '42' }, { send: 'exit 3\r' }]);
    assert.equal(r.code, 3, r.stdout);
    assert.match(r.stdout, /^42\r$/m);
    assert.match(r.stdout, /^\/dev\/pts\/0\r$/m);
    assert.equal((await mdk('ps', '-aq')).stdout, '', '--rm');
    // ctrl-p ctrl-q leaves it running; run ends with 0
    const d = await onTerminal(['run', '-it', '--name', 'mdk-test-left', w.image, 'sh'], [{ expect: '# ' }, { send: '\x10\x11' }]);
    assert.equal(d.code, 0, d.stdout);
    assert.equal(JSON.parse((await mdk('inspect', 'mdk-test-left')).stdout)[0].State.Running, true);
  });
  test("--format is Go's text/template as Docker prints it: a ps table, images, inspect's json, a missing field an error", async () => {
    const id = await runD('--name', 'mdk-test-fmt', '--network', 'none', '-l', 'com.example.role=db', w.image, 'sleep', '60');
    const ps = await mdk('ps', '--filter', 'name=mdk-test-fmt', '--format', 'table {{.Names}}\\t{{.Status}}');
    assert.equal(ps.code, 0, ps.stderr);
    // a header of Docker's names; a column at least 10 wide, 3 spaces after its widest cell; \t typed is a tab
    assert.match(ps.stdout, /^NAMES {10}STATUS\nmdk-test-fmt   Up (Less than a second|\d+ seconds?)\n$/);
    const more = await mdk('ps', '--filter', 'name=mdk-test-fmt', '--format', '{{.Names | upper}} {{.Label "com.example.role"}} {{if eq .State "running"}}up{{else}}down{{end}} {{.Networks}}');
    assert.equal(more.stdout, 'MDK-TEST-FMT db up none\n', more.stderr);
    const images = await mdk('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.equal(images.code, 0, images.stderr);
    assert.equal(images.stdout, `${w.image}\n`);
    const inspect = await mdk('inspect', '--format', '{{json .Config.Entrypoint}} {{.Config.Entrypoint}} {{json .Config.Cmd}} {{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}', id);
    assert.equal(inspect.stdout, 'null [] ["sleep","60"] com.example.role=db\n', inspect.stderr);
    const missing = await mdk('ps', '--format', '{{.Nope}}');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^moby-dick: failed to execute template: template: :1:2: executing "" at <\.Nope>: can't evaluate field Nope in type \*formatter\.ContainerContext/);
    const noKey = await mdk('inspect', '--format', '{{.State.Health.Status}}', id);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /template parsing error: template: :1:8: executing "" at <\.State\.Health\.Status>: map has no entry for key "Health"/);
  });
});
