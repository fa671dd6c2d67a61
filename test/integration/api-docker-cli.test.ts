/**
 * The Engine API with the real docker CLI: `moby-dick system service` on a
 * socket of a temp dir over a test store (the busybox image tagged
 * busybox), driven with DOCKER_HOST=unix://... by Debian's docker 20.10
 * client and by the newer one at /usr/local/bin/docker when the machine has
 * it. Also: a few hundred malformed requests and then a normal run, the
 * CLI and the API seeing each other's containers, a restarted service
 * finding a running container, the socket's mode, and tcp:// refused.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, type CliResult, run } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

const CLIENTS: readonly { name: string; path: string }[] = [
  { name: "Debian's docker 20.10", path: '/usr/bin/docker' },
  { name: 'the newer docker', path: '/usr/local/bin/docker' },
];

describe('the Engine API with the docker CLI', () => {
  const w = useEngine();
  let dir = '';
  let sock = '';
  let service: ChildProcess | undefined;
  let serviceLog = '';

  async function startService(): Promise<void> {
    serviceLog = '';
    const child = spawn(CLI, ['system', 'service', '--host', `unix://${sock}`, '--timeout', '0'], { env: w.env.env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (serviceLog += d.toString()));
    service = child;
    for (let i = 0; i < 200 && !serviceLog.includes('API listening'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(serviceLog, /API listening/, serviceLog);
  }

  async function stopService(): Promise<void> {
    const child = service;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    service = undefined;
  }

  function docker(client: string, args: readonly string[], input?: string): Promise<CliResult> {
    return run(client, args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') }, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  }

  async function ok(client: string, args: readonly string[], input?: string): Promise<string> {
    const r = await docker(client, args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\nservice: ${serviceLog}`);
    return r.stdout;
  }

  /** A raw HTTP exchange on the socket: what came back before it closed (or MS passed). */
  function raw(data: string, ms = 3000): Promise<string> {
    return new Promise((resolve) => {
      const c = createConnection(sock);
      let out = '';
      const t = setTimeout(() => {
        c.destroy();
        resolve(out);
      }, ms);
      c.on('data', (d) => (out += d.toString()));
      c.on('close', () => {
        clearTimeout(t);
        resolve(out);
      });
      c.on('error', () => undefined);
      c.write(data);
    });
  }

  function post(path: string, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const http = process.getBuiltinModule('node:http');
      const req = http.request({ socketPath: sock, method: 'POST', path, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  before(async () => {
    dir = mkdtempSync('/tmp/mdk-test-api-');
    sock = join(dir, 'api.sock');
    const tagged = await w.env.mdk(['tag', w.image, 'busybox']);
    assert.equal(tagged.code, 0, tagged.stderr);
    await startService();
  });

  after(async () => {
    await stopService();
    assert.ok(!existsSync(sock), 'the service removes its socket');
    rmSync(dir, { recursive: true, force: true });
  });

  checkEachTest(w);

  test('the socket is 0660 and root\'s; tcp:// is refused with the reason', async () => {
    const st = statSync(sock);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    const r = await w.env.mdk(['system', 'service', '--host', 'tcp://127.0.0.1:2375']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to serve the Engine API on tcp:\/\/127.0.0.1:2375: TCP needs TLS client verification/);
  });

  test('--timeout: an idle service ends by itself and removes its socket; --group gives the socket to a group', async () => {
    const idle = join(dir, 'idle.sock');
    const t0 = Date.now();
    const r = await w.env.mdk(['system', 'service', '--host', `unix://${idle}`, '--timeout', '1', '--group', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stopping \(idle for 1s\)/);
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(!existsSync(idle));
  });

  test('_ping (GET and HEAD) with the negotiation headers; versions outside the range refused', async () => {
    const ping = await raw('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(ping, /^HTTP\/1.1 200/);
    assert.match(ping, /Api-Version: 1.43\r\n/);
    assert.match(ping, /Ostype: linux\r\n/);
    assert.match(ping, /Docker-Experimental: false\r\n/);
    assert.match(ping, /Cache-Control: no-cache, no-store, must-revalidate\r\n/);
    assert.match(ping, /\r\n\r\nOK$/);
    assert.match(await raw('HEAD /v1.24/_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 200[^]*Api-Version: 1.43/);
    assert.match(await raw('GET /v1.99/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 400[^]*"message":"client version 1.99 is too new/);
  });

  test('a few hundred malformed requests leave the service serving; then a create, start and wait', async () => {
    const bodies = ['{', '[', '{"Image":5}', '{"HostConfig":[]}', 'null', '"x"', '{"Image":"busybox","Cmd":{}}', `{"Image":"${'x'.repeat(100)}`];
    const results = await Promise.all(Array.from({ length: 240 }, (_, i) => post('/v1.41/containers/create', bodies[i % bodies.length])));
    assert.ok(results.every((r) => r.status === 400 && typeof JSON.parse(r.body).message === 'string'), JSON.stringify(results.find((r) => r.status !== 400)));
    await Promise.all(Array.from({ length: 40 }, () => raw('\x16\x03\x01garbage\r\n\r\n', 1000)));
    await Promise.all(Array.from({ length: 20 }, () => raw('POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"Ima', 300)));
    const huge = await post('/containers/create', `{"Image":"busybox","Env":["${'a'.repeat(9 << 20)}"]}`).catch(() => ({ status: 413, body: '' }));
    assert.equal(huge.status, 413);
    const created = await post('/v1.41/containers/create?name=mdk-test-after-junk', '{"Image":"busybox","Cmd":["sh","-c","exit 7"]}');
    assert.equal(created.status, 201, created.body);
    const { Id } = JSON.parse(created.body) as { Id: string };
    const waiting = post(`/v1.41/containers/${Id}/wait?condition=next-exit`);
    assert.equal((await post(`/v1.41/containers/${Id}/start`)).status, 204);
    const waited = await waiting;
    assert.deepEqual(JSON.parse(waited.body), { StatusCode: 7, Error: null });
    assert.equal((await post(`/v1.41/containers/${Id}/start`)).status, 204, 'it starts again');
    assert.equal((await post(`/v1.41/containers/${Id}/wait`)).body.trim(), '{"StatusCode":7,"Error":null}');
    assert.equal((await post('/v1.41/containers/mdk-test-nothing/start')).status, 404);
  });

  test('the CLI sees the API\'s containers and the API the CLI\'s; a restarted service finds a running container', async () => {
    const client = CLIENTS[0]!.path;
    await ok(client, ['run', '-d', '--name', 'mdk-test-from-api', 'busybox', 'sleep', '60']);
    const made = await w.env.mdk(['run', '-d', '--name', 'mdk-test-from-cli', 'busybox', 'sleep', '60']);
    assert.equal(made.code, 0, made.stderr);
    assert.match((await w.env.mdk(['ps'])).stdout, /mdk-test-from-api/);
    assert.match(await ok(client, ['ps']), /mdk-test-from-cli/);
    await stopService();
    await startService();
    assert.match(await ok(client, ['ps', '--format', '{{.Names}} {{.State}}']), /mdk-test-from-api running/);
    assert.equal((await ok(client, ['exec', 'mdk-test-from-api', 'echo', 'still here'])).trim(), 'still here');
  });

  for (const c of CLIENTS) {
    const present = existsSync(c.path);
    describe(`docker CLI: ${c.name} (${c.path})`, { skip: present ? false : `${c.path} is not on this machine (scripts/install-deps.sh installs Debian's docker.io; the newer client is optional)` }, () => {
      const d = (args: readonly string[], input?: string) => ok(c.path, args, input);

      test('version, info', async () => {
        const v = await d(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}']);
        assert.equal(v.trim(), '1.43 linux');
        assert.match(await d(['info', '--format', '{{.OSType}} {{.Driver}}']), /^linux overlay2/);
      });

      test('run --rm, -e, -v, -i with stdin piped, exit status', async () => {
        assert.equal((await d(['run', '--rm', 'busybox', 'echo', 'hello'])).trim(), 'hello');
        const vol = join(dir, 'vol');
        assert.equal((await d(['run', '--rm', '-e', 'MDK=yes', '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo $MDK > /data/f; cat /data/f'])).trim(), 'yes');
        assert.equal(readFileSync(join(vol, 'f'), 'utf8').trim(), 'yes');
        assert.equal((await d(['run', '-i', '--rm', 'busybox', 'cat'], 'piped in\n')).trim(), 'piped in');
        const r = await docker(c.path, ['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
        assert.equal(r.code, 3);
        assert.equal(r.stdout, 'out\n');
        assert.equal(r.stderr, 'err\n');
        assert.equal((await docker(c.path, ['ps', '-aq'])).stdout, '', '--rm removed them');
      });

      test('run -t on a terminal (script)', async () => {
        const r = await run('script', ['-qec', `${c.path} run -t --rm busybox sh -c 'tty; echo in-tty'`, '/dev/null'], { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') }, timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /\/dev\/pts\/\d+\r*\n/);
        assert.match(r.stdout, /in-tty/);
      });

      test('run -d --name, ps, logs, logs -f, inspect, exec, exec -i, top, stats, port, rename, pause, unpause, stop, rm', async () => {
        const id = (await d(['run', '-d', '--name', 'mdk-test-web', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exec sleep 60'])).trim();
        assert.match(id, /^[0-9a-f]{64}$/);
        assert.match(await d(['ps']), /mdk-test-web/);
        assert.equal((await d(['inspect', '--format', '{{.State.Status}} {{.Name}}', 'mdk-test-web'])).trim(), 'running /mdk-test-web');
        for (let i = 0; i < 50 && !(await docker(c.path, ['logs', 'mdk-test-web'])).stderr.includes('err'); i++) await new Promise((r) => setTimeout(r, 100));
        const logs = await docker(c.path, ['logs', 'mdk-test-web']);
        assert.deepEqual([logs.stdout, logs.stderr], ['out\n', 'err\n']);
        assert.equal((await d(['exec', 'mdk-test-web', 'echo', 'exec ok'])).trim(), 'exec ok');
        assert.equal((await d(['exec', '-i', 'mdk-test-web', 'sh', '-c', 'cat; exit 0'], 'to exec\n')).trim(), 'to exec');
        assert.equal((await docker(c.path, ['exec', 'mdk-test-web', 'sh', '-c', 'exit 4'])).code, 4);
        assert.match(await d(['top', 'mdk-test-web']), /sleep 60/);
        assert.match(await d(['stats', '--no-stream', 'mdk-test-web']), /mdk-test-web\s+\d+\.\d+%/);
        assert.match(await d(['port', 'mdk-test-web']), /^80\/tcp -> 127\.0\.0\.1:\d+/);
        await d(['rename', 'mdk-test-web', 'mdk-test-www']);
        await d(['pause', 'mdk-test-www']);
        assert.equal((await d(['inspect', '--format', '{{.State.Status}}', 'mdk-test-www'])).trim(), 'paused');
        await d(['unpause', 'mdk-test-www']);
        await d(['stop', '-t', '1', 'mdk-test-www']);
        assert.equal((await d(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'mdk-test-www'])).trim(), 'exited 137');
        await d(['rm', 'mdk-test-www']);
        assert.equal((await docker(c.path, ['inspect', 'mdk-test-www'])).code, 1);
      });

      test('run\'s host flags through HostConfig: --device, --sysctl, --group-add, --pid/--ipc container:, --uts host, --volumes-from, --cpuset-cpus, --log-driver none', async () => {
        assert.equal(await d(['run', '--rm', '--device', '/dev/null:/dev/mynull', '--sysctl', 'net.ipv4.ip_forward=1', '--group-add', '4242', '--uts', 'host', 'busybox', 'sh', '-c',
          'echo x > /dev/mynull && cat /proc/sys/net/ipv4/ip_forward && id -G && hostname']), `1\n0 4242\n${hostname()}\n`);
        // the client refuses vm.* itself: a network sysctl in the host's network namespace is the engine's to refuse
        const refused = await docker(c.path, ['run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'true']);
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /sysctl 'net.ipv4.ip_forward' is not allowed: the container runs in the host's network namespace/);
        await d(['run', '-d', '--name', 'mdk-test-donor', '--ipc', 'shareable', '-v', '/data', 'busybox', 'sh', '-c', 'echo kept > /data/f; touch /dev/mqueue/mdk-test-q; exec sleep 60']);
        for (let i = 0; i < 50 && !(await docker(c.path, ['exec', 'mdk-test-donor', 'ls', '/dev/mqueue'])).stdout.includes('mdk-test-q'); i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await d(['run', '--rm', '--pid', 'container:mdk-test-donor', '--ipc', 'container:mdk-test-donor', '--volumes-from', 'mdk-test-donor:ro', 'busybox', 'sh', '-c',
          'ps -o args | grep -c "^sleep 60"; ls /dev/mqueue; cat /data/f']), '1\nmdk-test-q\nkept\n');
        await d(['create', '--name', 'mdk-test-flags', '--cpuset-cpus', '0', '--log-driver', 'none', '--pid', 'host', 'busybox', 'echo', 'not kept']);
        assert.equal((await d(['inspect', '--format', '{{.HostConfig.CpusetCpus}} {{.HostConfig.PidMode}} {{.HostConfig.LogConfig.Type}}', 'mdk-test-flags'])).trim(), '0 host none');
        await d(['start', 'mdk-test-flags']);
        const logs = await docker(c.path, ['logs', 'mdk-test-flags']);
        assert.notEqual(logs.code, 0);
        assert.match(logs.stderr, /configured logging driver does not support reading/);
        await d(['rm', '-f', 'mdk-test-flags', 'mdk-test-donor']);
      });

      test('logs -f to the end, wait, kill, rm -f, cp both ways', async () => {
        await d(['run', '-d', '--name', 'mdk-test-f', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done; exit 2']);
        assert.equal(await d(['logs', '-f', 'mdk-test-f']), 'line1\nline2\nline3\n');
        assert.equal((await d(['wait', 'mdk-test-f'])).trim(), '2');
        await d(['run', '-d', '--name', 'mdk-test-k', 'busybox', 'sleep', '60']);
        const src = join(dir, 'in.txt');
        writeFileSync(src, 'copied in\n');
        await d(['cp', src, 'mdk-test-k:/tmp/in.txt']);
        assert.equal(await d(['exec', 'mdk-test-k', 'cat', '/tmp/in.txt']), 'copied in\n');
        const back = join(dir, 'back.txt');
        await d(['cp', 'mdk-test-k:/tmp/in.txt', back]);
        assert.equal(readFileSync(back, 'utf8'), 'copied in\n');
        await d(['kill', 'mdk-test-k']);
        assert.equal((await d(['wait', 'mdk-test-k'])).trim(), '137');
        await d(['run', '-d', '--name', 'mdk-test-r', 'busybox', 'sleep', '60']);
        await d(['rm', '-f', 'mdk-test-r', 'mdk-test-k', 'mdk-test-f']);
        assert.equal(await d(['ps', '-aq']), '');
      });
    });
  }
});
