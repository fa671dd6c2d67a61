/**
 * Health checks carried out by the container's monitor (--health-*, the
 * image's HEALTHCHECK, --no-healthcheck): starting, unhealthy after the
 * retries, healthy once the check passes; what ps, inspect, events and the
 * Engine API show of it; a check killed at its timeout. And the run/create
 * flags that come with it: --pull, --platform, --cidfile, --stop-timeout.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, sleep } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

describe('health checks', () => {
  const w = useEngine();
  let dir = '';

  before(() => {
    dir = mkdtempSync('/tmp/mdk-test-health-');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  checkEachTest(w);

  const ok = async (args: string[]): Promise<string> => {
    const r = await w.env.mdk(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const inspect = async (name: string): Promise<{ Id: string; State: { Health?: Health; Running: boolean }; Config: { Healthcheck?: unknown; StopTimeout?: number } }> =>
    JSON.parse(await ok(['inspect', name]))[0];
  /** the container's health once WANTED, polling every 200 ms up to MS */
  const healthBecomes = async (name: string, wanted: string, ms = 15_000): Promise<Health> => {
    let last: Health | undefined;
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) {
      last = (await inspect(name)).State.Health;
      if (last?.Status === wanted) return last;
    }
    assert.fail(`health of ${name} did not become ${wanted}: ${JSON.stringify(last)}`);
  };
  const psStatus = async (name: string): Promise<string> => (await ok(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).trim();

  test('starting, unhealthy after the retries, healthy once the check passes; ps, inspect and events show it', async () => {
    const name = 'mdk-test-hc1';
    const t0 = Date.now();
    await ok(['run', '-d', '--name', name, '--network', 'none', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '2', w.image, 'sleep', '300']);
    const first = await inspect(name);
    assert.equal(first.State.Health?.Status, 'starting');
    assert.deepEqual(first.Config.Healthcheck, { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 1e9, Retries: 2 });
    assert.match(await psStatus(name), /^Up .* \(health: starting\)$/);

    const unhealthy = await healthBecomes(name, 'unhealthy');
    const tookMs = Date.now() - t0;
    // two failed checks, a second apart, the first a second after the start
    assert.ok(tookMs >= 1900, `unhealthy after ${tookMs} ms`);
    assert.ok(unhealthy.FailingStreak >= 2);
    assert.ok(unhealthy.Log.length >= 2 && unhealthy.Log.length <= 5);
    for (const l of unhealthy.Log) {
      assert.equal(l.ExitCode, 1);
      assert.ok(Date.parse(l.End) >= Date.parse(l.Start));
    }
    assert.match(await psStatus(name), /^Up .* \(unhealthy\)$/);
    assert.equal((await ok(['ps', '-q', '--filter', 'health=unhealthy', '--filter', `name=${name}`])).trim(), first.Id.slice(0, 12));
    assert.equal((await ok(['ps', '-q', '--filter', 'health=healthy', '--filter', `name=${name}`])).trim(), '');

    await ok(['exec', name, 'touch', '/tmp/ok']);
    const healthy = await healthBecomes(name, 'healthy');
    assert.equal(healthy.FailingStreak, 0);
    assert.equal(healthy.Log.at(-1)?.ExitCode, 0);
    assert.match(await psStatus(name), /^Up .* \(healthy\)$/);
    assert.equal((await ok(['ps', '-q', '--filter', 'health=healthy', '--filter', `name=${name}`])).trim(), first.Id.slice(0, 12));
    // the log keeps the last five results; more checks keep coming
    await sleep(5000);
    const later = (await inspect(name)).State.Health!;
    assert.equal(later.Log.length, 5);
    assert.ok(later.Log.every((l) => l.ExitCode === 0) && later.Status === 'healthy');

    const events = (await ok(['events', '--since', '10m', '--until', (Date.now() / 1000).toFixed(3), '--filter', `container=${name}`, '--format', '{{.Action}}'])).trim().split('\n');
    assert.deepEqual(events.filter((a) => a.startsWith('health_status')), ['health_status: unhealthy', 'health_status: healthy']);
    const filtered = await w.env.mdk(['ps', '--filter', 'health=sick']);
    assert.equal(filtered.code, 1);
    assert.match(filtered.stderr, /Unrecognised filter value for health: sick/);
  });

  test('a check that outlasts --health-timeout is killed and fails', async () => {
    const name = 'mdk-test-hc2';
    await ok(['run', '-d', '--name', name, '--network', 'none', '--health-cmd', 'echo slow; sleep 30', '--health-timeout', '500ms', '--health-interval', '1s', '--health-retries', '1', w.image, 'sleep', '300']);
    const h = await healthBecomes(name, 'unhealthy');
    const l = h.Log[0]!;
    assert.equal(l.ExitCode, -1);
    assert.equal(l.Output, 'Health check exceeded timeout (500ms): slow\n');
    const ran = Date.parse(l.End) - Date.parse(l.Start);
    assert.ok(ran >= 500 && ran < 5000, `the check ran ${ran} ms`);
  });

  test("the image's HEALTHCHECK runs; --no-healthcheck turns it off", async () => {
    await ok(['create', '--name', 'mdk-test-hcbase', '--network', 'none', w.image, 'true']);
    await ok(['commit', '-c', 'HEALTHCHECK --interval=1s --retries=1 CMD test -d /proc/1', 'mdk-test-hcbase', 'mdk-test-hcimage:1']);
    await ok(['run', '-d', '--name', 'mdk-test-hc3', '--network', 'none', 'mdk-test-hcimage:1', 'sleep', '300']);
    await ok(['run', '-d', '--name', 'mdk-test-hc4', '--network', 'none', '--no-healthcheck', 'mdk-test-hcimage:1', 'sleep', '300']);
    const imageCheck = await inspect('mdk-test-hc3');
    assert.deepEqual(imageCheck.Config.Healthcheck, { Test: ['CMD-SHELL', 'test -d /proc/1'], Interval: 1e9, Retries: 1 });
    await healthBecomes('mdk-test-hc3', 'healthy');
    const off = await inspect('mdk-test-hc4');
    assert.deepEqual(off.Config.Healthcheck, { Test: ['NONE'], Interval: 1e9, Retries: 1 });
    assert.equal(off.State.Health, undefined);
    assert.match(await psStatus('mdk-test-hc4'), /^Up [^()]*$/);
    assert.equal((await ok(['ps', '-q', '--filter', 'health=none', '--filter', 'name=mdk-test-hc4'])).trim(), off.Id.slice(0, 12));
    await ok(['rm', '-f', 'mdk-test-hc3', 'mdk-test-hc4', 'mdk-test-hcbase']);
    await ok(['rmi', 'mdk-test-hcimage:1']);
  });

  test("the Engine API: Config.Healthcheck at create, State.Health in inspect, Health in the list and its filter", async () => {
    const sock = join(dir, 'api.sock');
    let log = '';
    const service: ChildProcess = spawn(CLI, ['system', 'service', '--host', `unix://${sock}`, '--timeout', '0'], { env: w.env.env, stdio: ['ignore', 'ignore', 'pipe'] });
    service.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const api = (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> =>
      new Promise((resolve, reject) => {
        const req = request({ socketPath: sock, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null }));
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    try {
      for (let i = 0; i < 200 && !log.includes('API listening'); i++) await sleep(50);
      assert.match(log, /API listening/);
      const created = await api('POST', '/v1.43/containers/create?name=mdk-test-hc5', {
        Image: w.image,
        Cmd: ['sleep', '300'],
        Healthcheck: { Test: ['CMD', 'true'], Interval: 500e6, Timeout: 2e9 },
        HostConfig: { NetworkMode: 'none' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const id = (created.json as { Id: string }).Id;
      const bad = await api('POST', '/v1.43/containers/create?name=mdk-test-hc6', { Image: w.image, Healthcheck: { Test: ['CMD', 'true'], Interval: 10 } });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.json), /Interval in Healthcheck cannot be less than 1ms/);
      assert.equal((await api('POST', `/v1.43/containers/${id}/start`)).status, 204);
      let health: Health | undefined;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && health?.Status !== 'healthy'; await sleep(200)) {
        health = ((await api('GET', `/v1.43/containers/${id}/json`)).json as { State: { Health?: Health } }).State.Health;
      }
      assert.equal(health?.Status, 'healthy', JSON.stringify(health));
      const filters = encodeURIComponent(JSON.stringify({ health: ['healthy'], name: ['mdk-test-hc5'] }));
      const list = (await api('GET', `/v1.43/containers/json?filters=${filters}`)).json as { Id: string; Status: string; Health?: { Status: string } }[];
      assert.deepEqual(list.map((c) => [c.Id, c.Health?.Status]), [[id, 'healthy']]);
      assert.match(list[0]!.Status, /^Up .* \(healthy\)$/);
      const none = encodeURIComponent(JSON.stringify({ health: ['unhealthy'] }));
      assert.deepEqual((await api('GET', `/v1.43/containers/json?filters=${none}`)).json, []);
    } finally {
      const exited = new Promise((r) => service.once('exit', r));
      service.kill('SIGTERM');
      await exited;
    }
  });

  test('--pull never with a missing image, --pull and --platform refused clearly, --platform of this machine', async () => {
    for (const verb of ['run', 'create']) {
      const r = await w.env.mdk([verb, '--pull', 'never', '--network', 'none', 'mdk-test-nosuch', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /No such image: mdk-test-nosuch:latest/);
    }
    const bad = await w.env.mdk(['run', '--pull', 'sometimes', w.image, 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid pull option: 'sometimes': must be one of "always", "missing" or "never"/);
    const arm = await w.env.mdk(['run', '--rm', '--platform', 'linux/arm64', '--network', 'none', w.image, 'true']);
    assert.equal(arm.code, 125);
    assert.match(arm.stderr, /platform linux\/arm64\/v8 cannot run here: this machine is linux\/amd64/);
    assert.equal((await ok(['ps', '-aq'])).trim(), '', 'nothing was created');
    // the store's image is this machine's: run it, with --pull never too
    const ran = await w.env.mdk(['run', '--rm', '--platform', 'linux/amd64', '--pull', 'never', '--network', 'none', w.image, 'echo', 'ran']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'ran\n');
  });

  test('--cidfile: the ID written; a file that exists is refused and nothing is created', async () => {
    const file = join(dir, 'cid');
    const id = (await ok(['run', '-d', '--cidfile', file, '--name', 'mdk-test-cid1', '--network', 'none', w.image, 'sleep', '300'])).trim();
    assert.equal(readFileSync(file, 'utf8'), id);
    const again = await w.env.mdk(['create', '--cidfile', file, '--name', 'mdk-test-cid2', '--network', 'none', w.image, 'true']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, new RegExp(`container ID file found, make sure the other container isn't running or delete ${file}`));
    assert.equal(readFileSync(file, 'utf8'), id);
    assert.deepEqual((await ok(['ps', '-aq', '--no-trunc'])).trim().split('\n'), [id]);
    // a create that fails leaves no file
    const file2 = join(dir, 'cid2');
    const failed = await w.env.mdk(['create', '--cidfile', file2, '--pull', 'never', 'mdk-test-nosuch', 'true']);
    assert.equal(failed.code, 125);
    assert.equal(existsSync(file2), false);
    const created = (await ok(['create', '--cidfile', file2, '--network', 'none', w.image, 'true'])).trim();
    assert.equal(readFileSync(file2, 'utf8'), created);
  });

  test('--stop-timeout 1: stop of a container that ignores SIGTERM takes about a second', async () => {
    const name = 'mdk-test-stop1';
    await ok(['run', '-d', '--name', name, '--stop-timeout', '1', '--network', 'none', w.image, 'sh', '-c', 'trap "" TERM; while :; do sleep 1; done']);
    assert.equal((await inspect(name)).Config.StopTimeout, 1);
    const t0 = Date.now();
    await ok(['stop', name]);
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 5000, `stop took ${took} ms`);
    const state = (await inspect(name)).State as { Running: boolean; ExitCode?: number };
    assert.equal(state.Running, false);
    assert.equal(state.ExitCode, 137);
  });
});
