/**
 * openEngine's facade as the CLI's flags have it: attached streams and a
 * tty (run -i/-t), published ports (-p), resource limits (--memory, --cpus,
 * --pids-limit, --ulimit, and update), the restart policy (--restart), and
 * several containers made at once from one process (the runtime's waits are
 * in the event loop). Each test has its own store, cgroup parent and
 * network prefix (makeImageEnv), and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { makeImageEnv, type ImageEnv } from '../helpers/image-env.js';
import { assertNoLeaks, snapshot, type Snapshot } from '../helpers/leaks.js';
import { readCgroupLayout } from '../../src/cgroups/layout.js';

// the package's public entry (package.json "exports"), as a user imports it
const api: typeof import('../../src/index.js') = await import('moby-dick' as string);
type Engine = Awaited<ReturnType<typeof api.openEngine>>;

/** A Writable that keeps what it is given. */
function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString('utf8') });
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
      if (ok(v)) return v;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    if (Date.now() > end) throw new Error(`not so after ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('openEngine: the CLI\'s run flags through the typed API', () => {
  let env: ImageEnv;
  let engine: Engine;
  let dir: string;
  let leaks: Snapshot;
  const saved = { MOBY_DICK_CGROUP_PARENT: process.env.MOBY_DICK_CGROUP_PARENT, MOBY_DICK_NET_PREFIX: process.env.MOBY_DICK_NET_PREFIX };

  before(async () => {
    leaks = snapshot();
    env = makeImageEnv();
    // the engine reads its cgroup parent and network prefix from the environment, as the CLI's
    Object.assign(process.env, { MOBY_DICK_CGROUP_PARENT: env.env.MOBY_DICK_CGROUP_PARENT, MOBY_DICK_NET_PREFIX: env.env.MOBY_DICK_NET_PREFIX });
    dir = mkdtempSync('/tmp/mdk-test-lib-facade-');
    engine = await api.openEngine({ root: env.root });
    await engine.load(buildBusyboxImage(dir).archive);
  });

  after(async () => {
    try {
      for (const c of engine.list()) engine.remove(c.id, { force: true, volumes: true });
      await engine.close();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
      env.remove();
    }
    await assertNoLeaks(leaks);
  });

  test('attached streams: stdin to the container, stdout and stderr apart; its end closes the container\'s stdin', async () => {
    const stdout = sink();
    const stderr = sink();
    const c = await engine.run(
      { image: 'busybox', command: ['sh', '-c', 'cat; echo err >&2; exit 4'], network: 'none', openStdin: true },
      { stdin: Readable.from([Buffer.from('one\n'), Buffer.from('two\n')]), stdout, stderr },
    );
    assert.deepEqual(await c.wait(), { exitCode: 4 });
    assert.equal(stdout.text(), 'one\ntwo\n');
    assert.equal(stderr.text(), 'err\n');
    assert.deepEqual(await engine.output(c.id), { stdout: 'one\ntwo\n', stderr: 'err\n' }, 'logged all the same');
    engine.remove(c.id);
  });

  test('tty: a terminal for the command, its size from resize(), all output on stdout', async () => {
    const stdout = sink();
    const stdin = new PassThrough();
    const c = await engine.run(
      { image: 'busybox', command: ['sh', '-c', 'test -t 0 && test -t 1 && echo on-a-tty; read line; echo got:$line; stty size; echo err >&2'], network: 'none', tty: true, openStdin: true },
      { stdin, stdout },
    );
    c.resize(33, 111);
    stdin.write('hello\n');
    assert.deepEqual(await c.wait(), { exitCode: 0 });
    const out = stdout.text();
    assert.match(out, /on-a-tty\r\n/);
    assert.match(out, /got:hello\r\n/);
    assert.match(out, /33 111\r\n/);
    assert.match(out, /err\r\n/, 'stderr comes on the terminal too');
    engine.remove(c.id);
  });

  test('published ports: a given host address and a picked port, listed by ports(); they answer on 127.0.0.1', async () => {
    const c = await engine.run({
      image: 'busybox',
      command: ['sh', '-c', 'mkdir -p /www && echo hello-lib > /www/index.html && exec httpd -f -p 80 -h /www'],
      ports: [{ containerPort: 80, hostIp: '127.0.0.1' }],
    });
    const ports = engine.ports(c.id);
    assert.equal(ports.length, 1);
    const [p] = ports;
    assert.deepEqual({ ...p, hostPort: 0 }, { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 });
    assert.ok(p!.hostPort > 0, 'a port the engine picked');
    assert.equal(await until(() => get(p!.hostPort), (b) => b === 'hello-lib\n'), 'hello-lib\n');
    await engine.stop(c.id, { timeout: 1 });
    assert.deepEqual(engine.ports(c.id), []);
    engine.remove(c.id);
  });

  test('resource limits reach the cgroup and rlimits; update() changes a running container\'s; a restart policy with autoRemove refused', async () => {
    const v1 = readCgroupLayout().version === 1;
    const c = await engine.run({
      image: 'busybox',
      command: ['sleep', '60'],
      network: 'none',
      resources: { memory: 64 << 20, cpus: 0.5, pidsLimit: 50, ulimits: [{ name: 'nofile', soft: 1000, hard: 1001 }] },
    });
    const read = async (file: string): Promise<string> => {
      const r = await engine.exec(c.id, ['cat', file]);
      assert.equal(r.exitCode, 0, r.stderr);
      return r.stdout.trim();
    };
    const memory = v1 ? '/sys/fs/cgroup/memory/memory.limit_in_bytes' : '/sys/fs/cgroup/memory.max';
    assert.equal(await read(memory), String(64 << 20));
    assert.equal(await read(v1 ? '/sys/fs/cgroup/pids/pids.max' : '/sys/fs/cgroup/pids.max'), '50');
    if (v1) assert.equal(await read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), '50000');
    else assert.equal(await read('/sys/fs/cgroup/cpu.max'), '50000 100000');
    assert.deepEqual((await engine.exec(c.id, ['sh', '-c', 'ulimit -n; ulimit -Hn'])).stdout, '1000\n1001\n');
    await engine.update(c.id, { resources: { memory: 96 << 20, memorySwap: 192 << 20 } });
    assert.equal(await read(memory), String(96 << 20));
    await assert.rejects(engine.update(c.id, { resources: { memory: 1024 } }), /Minimum memory limit allowed is 6MB/);
    engine.remove(c.id, { force: true });
    await assert.rejects(engine.create({ image: 'busybox', autoRemove: true, restart: { policy: 'always' } }), /conflicting options/);
  });

  test('restart policy on-failure:2: started again twice, then it stays exited; autoRemove removes it at its end', async () => {
    const c = await engine.run({ image: 'busybox', command: ['sh', '-c', 'exit 3'], network: 'none', restart: { policy: 'on-failure', maximumRetryCount: 2 } });
    assert.deepEqual(await c.wait(), { exitCode: 3 });
    const s = await until(
      () => engine.inspect(c.id),
      (v) => v.restartCount === 2 && v.status === 'exited',
    );
    assert.equal(s.exitCode, 3);
    engine.remove(c.id);

    const r = await engine.run({ image: 'busybox', command: ['true'], network: 'none', autoRemove: true });
    assert.deepEqual(await r.wait(), { exitCode: 0 });
    assert.throws(() => engine.inspect(r.id), api.MobyDickError);
  });

  test('several containers made at once from one process, each ends as its own', async () => {
    const codes = [0, 1, 2, 3, 4, 5, 6, 7];
    const started = await Promise.all(codes.map((n) => engine.run({ image: 'busybox', command: ['sh', '-c', `echo $((${n} * 2)); exit ${n}`], network: 'none' })));
    const exits = await Promise.all(started.map((c) => c.wait()));
    assert.deepEqual(exits.map((e) => e.exitCode), codes);
    for (const [i, c] of started.entries()) {
      assert.equal((await engine.output(c.id)).stdout, `${codes[i]! * 2}\n`);
      engine.remove(c.id);
    }
    assert.deepEqual(engine.list(), []);
  });
});
