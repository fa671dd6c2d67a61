/**
 * The Engine API's update and attach over websocket, against `moby-dick
 * system service` on a socket of a temp dir over a test store: the docker
 * CLI's `docker update` (the cgroup as the host reads it, inspect through
 * both the API and the CLI, Docker's error words), and GET
 * /containers/{id}/attach/ws with the `ws` client: the log and the live
 * output as binary messages (text before API 1.28), messages to the
 * container's stdin, a hang-up that leaves the container running, an
 * attach made before the start, a request without a websocket refused.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { readCgroupLayout } from '../../src/cgroups/layout.js';
import { cgroupDirsOf } from '../../src/engine/leftovers.js';
import { CLI, type CliResult, run, sleep } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { ENGINE_CGROUP_PARENT } from '../helpers/image-env.js';

const DOCKER = '/usr/bin/docker';
const MIB = 1024 * 1024;

function cgroupValue(id: string, file: string): string {
  const dir = cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}/${id}`).find((d) => existsSync(join(d, file)));
  assert.ok(dir, `no cgroup of ${id} has ${file}`);
  return readFileSync(join(dir, file), 'utf8').trim();
}

interface Message {
  text: string;
  binary: boolean;
}

/** A websocket client of the service: what came, in order, and how it closed. */
class WsClient {
  readonly messages: Message[] = [];
  closed?: { code: number };
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(sock: string, path: string) {
    this.ws = new WebSocket(`ws+unix://${sock}:${path}`);
    this.ws.on('message', (data: Buffer, binary: boolean) => this.messages.push({ text: data.toString(), binary }));
    this.ws.on('close', (code: number) => (this.closed = { code }));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  text(): string {
    return this.messages.map((m) => m.text).join('');
  }

  async until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
    for (const end = Date.now() + ms; !cond(); await sleep(20)) {
      if (Date.now() > end) assert.fail(`${what}: got ${JSON.stringify(this.text())}, closed ${JSON.stringify(this.closed)}`);
    }
  }
}

describe('the Engine API: update and attach over websocket', () => {
  const w = useEngine();
  let dir = '';
  let sock = '';
  let service: ChildProcess | undefined;
  let serviceLog = '';

  function docker(args: readonly string[]): Promise<CliResult> {
    return run(DOCKER, args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') }, timeoutMs: 60_000 });
  }
  async function ok(args: readonly string[]): Promise<string> {
    const r = await docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\nservice: ${serviceLog}`);
    return r.stdout;
  }

  before(async () => {
    dir = mkdtempSync('/tmp/mdk-test-api-update-');
    sock = join(dir, 'api.sock');
    const tagged = await w.env.mdk(['tag', w.image, 'busybox']);
    assert.equal(tagged.code, 0, tagged.stderr);
    const child = spawn(CLI, ['system', 'service', '--host', `unix://${sock}`, '--timeout', '0'], { env: w.env.env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (serviceLog += d.toString()));
    service = child;
    for (let i = 0; i < 200 && !serviceLog.includes('API listening'); i++) await sleep(50);
    assert.match(serviceLog, /API listening/, serviceLog);
  });

  after(async () => {
    const child = service;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  checkEachTest(w);

  test("docker update: the running container's cgroup, inspect through the API and the CLI, Docker's error words", { skip: existsSync(DOCKER) ? false : `${DOCKER} is not on this machine` }, async () => {
    const id = (await ok(['run', '-d', '--network', 'none', '--name', 'mdk-test-upd-api', 'busybox', 'sleep', '300'])).trim();
    assert.equal(await ok(['update', '--memory', '64m', '--pids-limit', '25', '--cpus', '0.5', '--restart', 'unless-stopped', 'mdk-test-upd-api']), 'mdk-test-upd-api\n');
    const v1 = readCgroupLayout().version === 1;
    assert.equal(cgroupValue(id, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(64 * MIB));
    assert.equal(cgroupValue(id, 'pids.max'), '25');
    assert.equal(v1 ? cgroupValue(id, 'cpu.cfs_quota_us') : cgroupValue(id, 'cpu.max'), v1 ? '50000' : '50000 100000');
    const format = '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}';
    const want = `${64 * MIB} 25 500000000 unless-stopped\n`;
    assert.equal(await ok(['inspect', '--format', format, id]), want);
    assert.equal((await w.env.mdk(['inspect', '--format', format, id])).stdout, want);
    const small = await docker(['update', '-m', '4m', id]);
    assert.equal(small.code, 1);
    assert.match(small.stderr, /Error response from daemon: Minimum memory limit allowed is 6MB/);
    const conflict = await docker(['update', '--cpu-quota', '20000', id]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, new RegExp(`Error response from daemon: Cannot update container ${id}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set`));
    const missing = await docker(['update', '--pids-limit', '5', 'mdk-test-nope']);
    assert.match(missing.stderr, /No such container: mdk-test-nope/);
  });

  test('attach/ws: the log, then live output as binary messages; messages to stdin; a hang-up leaves it running', async () => {
    const id = (await w.env.mdk(['run', '-di', '--network', 'none', '--name', 'mdk-test-ws', w.image, 'sh', '-c', 'echo ready; while read l; do echo "got:$l"; echo "err:$l" >&2; done'])).stdout.trim();
    for (let i = 0; i < 100 && !(await w.env.mdk(['logs', id])).stdout.includes('ready'); i++) await sleep(50);
    const c = new WsClient(sock, `/v1.43/containers/mdk-test-ws/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1`);
    await c.opened;
    await c.until('the log', () => c.text().includes('ready\n'));
    c.ws.send('hello\n');
    await c.until('stdout and stderr of the input', () => c.text().includes('got:hello\n') && c.text().includes('err:hello\n'));
    assert.ok(c.messages.every((m) => m.binary), 'binary messages from API 1.28 on');
    assert.ok(c.messages.every((m) => m.text.length > 0), 'no empty message');
    c.ws.close();
    await c.until('closed', () => c.closed !== undefined);
    await sleep(200);
    assert.equal((await w.env.mdk(['inspect', '--format', '{{.State.Status}}', id])).stdout, 'running\n', 'the container runs on');
    // API 1.27: text messages, and every stream whatever the query says
    const old = new WsClient(sock, `/v1.27/containers/${id}/attach/ws?stream=1`);
    await old.opened;
    old.ws.send('again\n');
    await old.until('output of the input', () => old.text().includes('got:again\nerr:again\n') || old.text().includes('err:again\ngot:again\n'));
    assert.ok(old.messages.every((m) => !m.binary), 'text messages before API 1.28');
    old.ws.close();
    await old.until('closed', () => old.closed !== undefined);
  });

  test('attach/ws before the start gets the output from the start; the end of the container closes it; logs alone then closes; no websocket: 400', async () => {
    const id = (await w.env.mdk(['create', '--network', 'none', '--name', 'mdk-test-ws-later', w.image, 'sh', '-c', 'sleep 0.3; echo from-start; echo to-err >&2'])).stdout.trim();
    const c = new WsClient(sock, `/containers/${id}/attach/ws?stream=1&stdout=1&stderr=0`);
    await c.opened;
    await sleep(100);
    const started = await new Promise<number>((resolve, reject) => {
      const http = process.getBuiltinModule('node:http');
      http.request({ socketPath: sock, method: 'POST', path: `/containers/${id}/start` }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    assert.equal(started, 204);
    await c.until('the output and the close', () => c.closed !== undefined);
    assert.equal(c.text(), 'from-start\n', 'stdout only, as asked');
    assert.equal(c.closed?.code, 1000);
    // a stopped container: the log, then a normal close
    const logs = new WsClient(sock, `/containers/${id}/attach/ws?logs=1&stdout=1&stderr=1`);
    await logs.opened;
    await logs.until('closed', () => logs.closed !== undefined);
    assert.equal(logs.text(), 'from-start\nto-err\n');
    // a plain GET, and an unknown container
    const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', sock, `http://localhost/containers/${id}/attach/ws`], { timeoutMs: 10_000 });
    assert.equal(plain.stdout, '400');
    const none = new WsClient(sock, '/containers/mdk-test-nope/attach/ws?stream=1');
    await assert.rejects(none.opened, /Unexpected server response: 404/);
  });
});
