/**
 * The engine's container lifecycle, as a Docker user checks it: detached
 * containers under their monitor, ps, logs, stop, kill, rm, wait, inspect,
 * exec, restart policies, --rm, limits, and names that stay unique.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sleep, until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

describe('engine: container lifecycle', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w);


  test('run -d: the container outlives the CLI; ps, logs, stop and rm as Docker', async () => {
    const r = await mdk('run', '-d', '--name', 'mdk-test-web', w.image, 'sh', '-c', 'echo started; echo oops >&2; trap "echo bye; exit 7" TERM; while true; do sleep 0.1; done');
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    const ps = await mdk('ps');
    assert.match(ps.stdout, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/m);
    assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} .*"sh -c 'echo started…" .* Up .* mdk-test-web$`, 'm'));
    await until(async () => (await mdk('logs', 'mdk-test-web')).stdout === 'started\n');
    const logs = await mdk('logs', 'mdk-test-web');
    assert.equal(logs.stderr, 'oops\n', 'stderr stays stderr');
    const stamped = await mdk('logs', '-t', id.slice(0, 6));
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z started\n$/);
    const stop = await mdk('stop', 'mdk-test-web');
    assert.equal(stop.code, 0, stop.stderr);
    const after = await mdk('ps', '-a', '--format', '{{.Names}} {{.Status}}');
    assert.match(after.stdout, /^mdk-test-web Exited \(7\) (Less than a second|\d+ seconds?) ago$/m);
    assert.equal((await mdk('logs', 'mdk-test-web')).stdout, 'started\nbye\n');
    assert.equal((await mdk('ps', '-q')).stdout, '', 'not running');
    const rm = await mdk('rm', 'mdk-test-web');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await mdk('ps', '-aq')).stdout, '');
    assert.deepEqual(readdirSync(join(w.env.root, 'containers')), [], 'its writable layer and log are gone');
  });

  test('stop sends SIGKILL after the timeout; wait and inspect tell the exit code', async () => {
    const id = (await mdk('run', '-d', w.image, 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done')).stdout.trim();
    const t0 = Date.now();
    assert.equal((await mdk('stop', '-t', '1', id)).code, 0);
    assert.ok(Date.now() - t0 >= 1000, 'it waited for the timeout');
    assert.equal((await mdk('wait', id)).stdout, '137\n');
    const state = JSON.parse((await mdk('inspect', '--format', '{{json .State}}', id)).stdout);
    assert.equal(state.Status, 'exited');
    assert.equal(state.ExitCode, 137);
    assert.equal(state.Running, false);
  });

  test('rm refuses a running container; rm -f kills it; kill -s; inspect shows the config', async () => {
    const id = (await mdk('run', '-d', '--name', 'mdk-test-busy', '-e', 'MDK=1', '--label', 'team=whales', '-m', '64m', '--pids-limit', '50', w.image, 'sleep', '60')).stdout.trim();
    const refused = await mdk('rm', 'mdk-test-busy');
    assert.equal(refused.code, 1, "docker rm's status for a container it cannot remove");
    assert.match(refused.stderr, /You cannot remove a running container/);
    const doc = JSON.parse((await mdk('inspect', 'mdk-test-busy')).stdout)[0];
    assert.equal(doc.Id, id);
    assert.equal(doc.Name, '/mdk-test-busy');
    assert.equal(doc.State.Running, true);
    assert.ok(doc.State.Pid > 1);
    assert.ok(doc.Config.Env.includes('MDK=1'));
    assert.deepEqual(doc.Config.Labels, { team: 'whales' });
    assert.equal(doc.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(doc.HostConfig.PidsLimit, 50);
    const limits = await mdk('exec', id, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max');
    assert.equal(limits.stdout, `${64 * 1024 * 1024}\n50\n`, limits.stderr);
    assert.equal((await mdk('rm', '-f', 'mdk-test-busy')).code, 0);
    assert.equal((await mdk('ps', '-aq')).stdout, '');
    const k = (await mdk('run', '-d', w.image, 'sh', '-c', 'trap "echo got usr1; exit 5" USR1; echo ready; while true; do sleep 0.1; done')).stdout.trim();
    await until(async () => (await mdk('logs', k)).stdout === 'ready\n');
    assert.equal((await mdk('kill', '-s', 'usr1', k)).code, 0);
    assert.equal((await mdk('wait', k)).stdout, '5\n');
    assert.equal((await mdk('logs', k)).stdout, 'ready\ngot usr1\n');
    const k9 = (await mdk('run', '-d', w.image, 'sleep', '60')).stdout.trim();
    assert.equal((await mdk('kill', k9)).code, 0, 'SIGKILL by default');
    assert.equal((await mdk('wait', k9)).stdout, '137\n');
  });

  test('exec runs in the container: its env, -e, -w, -u, exit codes, a missing command', async () => {
    const id = (await mdk('run', '-d', '-e', 'FROM_RUN=yes', w.image, 'sleep', '60')).stdout.trim();
    const e = await mdk('exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', id, 'sh', '-c', 'echo $FROM_RUN $X $(pwd) $(id -u); exit 3');
    assert.equal(e.stdout, 'yes 1 /tmp 65534\n', e.stderr);
    assert.equal(e.code, 3);
    const missing = await mdk('exec', id, 'mdk-test-no-such-command');
    assert.equal(missing.code, 127);
  });

  test('run attached: the exit status and output; --rm removes it at the end', async () => {
    const r = await mdk('run', '--rm', w.image, 'sh', '-c', 'echo out; echo err >&2; exit 4');
    assert.equal(r.code, 4);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal((await mdk('ps', '-aq')).stdout, '');
    const i = await w.env.mdk(['run', '-i', '--rm', w.image, 'cat'], { input: 'piped\n' });
    assert.equal(i.stdout, 'piped\n', i.stderr);
  });

  test('40 short attached runs, 10 at a time, on the default bridge: every one starts, exits 0 and is removed', async () => {
    // a command that ends at once, on a busy machine, raced start's look at the exec fifo, and a
    // container's end raced another's cgroup under the engine's parent (both fixed; unit-tested too)
    const results: { code: number | null; stderr: string }[] = [];
    for (let batch = 0; batch < 4; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, () => mdk('run', '--rm', w.image, 'true')))));
    }
    assert.deepEqual(results.filter((r) => r.code !== 0).map((r) => r.stderr), []);
    assert.equal((await mdk('ps', '-aq')).stdout, '');
  });

  test('run -d --rm: the monitor removes it when it ends', async () => {
    const id = (await mdk('run', '-d', '--rm', w.image, 'sh', '-c', 'sleep 0.3')).stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    await until(async () => (await mdk('ps', '-aq')).stdout === '');
    assert.ok(!existsSync(join(w.env.root, 'containers', id)));
  });

  test('--restart on-failure:2 restarts twice; always restarts until stopped', async () => {
    const id = (await mdk('run', '-d', '--restart', 'on-failure:2', w.image, 'sh', '-c', 'echo run; exit 3')).stdout.trim();
    await until(async () => JSON.parse((await mdk('inspect', id)).stdout)[0].RestartCount === 2 && (await mdk('ps', '-q')).stdout === '', 10_000);
    await sleep(300);
    assert.equal((await mdk('logs', id)).stdout, 'run\nrun\nrun\n', 'the first run and two restarts');
    const a = (await mdk('run', '-d', '--restart', 'always', w.image, 'sh', '-c', 'sleep 0.2; exit 0')).stdout.trim();
    await until(async () => JSON.parse((await mdk('inspect', a)).stdout)[0].RestartCount >= 2, 10_000);
    assert.equal((await mdk('stop', a)).code, 0);
    await sleep(500);
    assert.equal((await mdk('ps', '-q')).stdout, '', 'stop ends the restarts');
  });

  test('a memory hog is OOM-killed and inspect says so', async () => {
    const id = (await mdk('run', '-d', '-m', '16m', '--memory-swap', '16m', w.image, 'sh', '-c', 'x=a; while true; do x="$x$x"; done')).stdout.trim();
    assert.equal((await mdk('wait', id)).stdout, '137\n');
    await until(async () => JSON.parse((await mdk('inspect', id)).stdout)[0].State.OOMKilled === true);
  });

  test('names are unique even when 20 runs race for one; errors are one line, 125', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () => mdk('create', '--name', 'mdk-test-race', w.image, 'true')));
    assert.equal(runs.filter((r) => r.code === 0).length, 1, runs.map((r) => r.stderr).join(''));
    for (const r of runs.filter((x) => x.code !== 0)) {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^moby-dick: Conflict\. The container name "\/mdk-test-race" is already in use/);
    }
    assert.equal((await mdk('ps', '-a', '--format', '{{.Names}} {{.Status}}')).stdout, 'mdk-test-race Created\n');
    const missing = await mdk('start', 'mdk-test-nothing');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: mdk-test-nothing/);
    const badMem = await mdk('run', '-m', 'lots', w.image, 'true');
    assert.equal(badMem.code, 125);
    assert.match(badMem.stderr, /invalid argument "lots" for "--memory" flag/);
    const badVol = await mdk('run', '--mount', 'type=bind,source=/mdk-test-nowhere,target=/x', w.image, 'true');
    assert.equal(badVol.code, 125);
    assert.match(badVol.stderr, /bind source path does not exist: \/mdk-test-nowhere/);
  });

  test("--privileged: the host's devices, usable through the device cgroup; without it, none of them", async () => {
    // a block device the host itself may open (this sandbox refuses some)
    const dev = readdirSync('/dev').map((n) => `/dev/${n}`).find((p) => {
      try {
        if (!statSync(p).isBlockDevice()) return false;
        closeSync(openSync(p, 'r'));
        return true;
      } catch {
        return false;
      }
    });
    assert.ok(dev, 'the host has a block device it can open');
    const p = await mdk('run', '--rm', '--privileged', w.image, 'sh', '-c', `ls -l ${dev} && : < ${dev} && echo opened`);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, new RegExp(`^b.* ${dev}\nopened\n$`));
    const plain = await mdk('run', '--rm', w.image, 'ls', dev);
    assert.notEqual(plain.code, 0);
  });

  test('create then start -a', async () => {
    const id = (await mdk('create', w.image, 'echo', 'created first')).stdout.trim();
    assert.match((await mdk('ps', '-a')).stdout, /Created/);
    const s = await mdk('start', '-a', id);
    assert.equal(s.stdout, 'created first\n', s.stderr);
    assert.equal(s.code, 0);
  });

  test('volumes: a named volume outlives the container; a bind shows host files', async () => {
    const host = join(w.env.root, '..', 'mdk-test-bind');
    const r1 = await mdk('run', '--rm', '-v', 'mdk-test-vol:/data', '-v', `${host}:/host`, w.image, 'sh', '-c', 'echo kept > /data/f; echo to-host > /host/g');
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(readFileSync(join(host, 'g'), 'utf8'), 'to-host\n');
    const r2 = await mdk('run', '--rm', '-v', 'mdk-test-vol:/data:ro', w.image, 'sh', '-c', 'cat /data/f; touch /data/x 2>&1 | grep -c Read-only');
    assert.equal(r2.stdout, 'kept\n1\n', r2.stderr);
  });
});
