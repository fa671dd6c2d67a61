/** The library API, driven from Node without the CLI, through the package's own entry point. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { useRootfs } from '../helpers/fixtures.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { makeImageEnv } from '../helpers/image-env.js';
import { assertNoLeaks, snapshot } from '../helpers/leaks.js';

// the package's public entry (package.json "exports"), as a user imports it
const api: typeof import('../../src/index.js') = await import('moby-dick' as string);

describe('library API', () => {
  const fx = useRootfs('mdk-test-marker');

  const collect = async (stream: NodeJS.ReadableStream | null): Promise<string> => {
    let s = '';
    for await (const chunk of stream ?? []) s += String(chunk);
    return s;
  };

  test('startContainer runs a container and reports its output and exit status', async () => {
    const c = api.startContainer({ rootfs: fx.rootfs, command: ['sh', '-c', 'echo hello from $(hostname); grep "^Seccomp:" /proc/self/status; sleep 0.2; exit 4'], hostname: 'mdk-test-lib' }, { stdio: 'pipe' });
    const pid = await c.pid;
    const output = collect(c.stdout);
    const status = c.wait();
    // in its cgroup once its command runs (a v1 hierarchy's line, or v2's): its first line is out by then
    let cgroupLine = '';
    await new Promise<void>((resolve) => c.stdout?.once('data', () => resolve()));
    cgroupLine = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:(pids|):/.test(l)) ?? '';
    const [out, ended] = await Promise.all([output, status]);
    assert.equal(out, 'hello from mdk-test-lib\nSeccomp:\t2\n', 'the default seccomp filter, as an engine container\'s');
    assert.deepEqual(ended, { exitCode: 4, cgroup: ended.cgroup });
    assert.match(ended.cgroup ?? '', /^\/moby-dick-jail\/[0-9a-f]{16}$/);
    assert.ok(cgroupLine.endsWith(`:${ended.cgroup}`), cgroupLine);
    for (const root of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup']) {
      assert.equal(existsSync(`${root}${ended.cgroup}`), false, `removed at the end: ${root}${ended.cgroup}`);
    }
    assert.ok(pid > 1);
  });

  test('runContainer with the host view and piped stdin', async () => {
    const c = api.startContainer({ command: ['cat'], interactive: true }, { stdio: 'pipe' });
    c.stdin?.end('piped\n');
    const [out, status] = await Promise.all([collect(c.stdout), c.wait()]);
    assert.equal(out, 'piped\n');
    assert.equal(status.exitCode, 0);
    assert.equal(status.cgroup, undefined, 'the host view has no cgroup of its own');
  });

  test('kill() ends the container with the signal, as 128+N', async () => {
    const c = api.startContainer({ rootfs: fx.rootfs, command: ['sleep', '64'] }, { stdio: 'pipe' });
    await c.pid;
    c.kill('SIGKILL');
    const status = await c.wait();
    assert.deepEqual(status, { exitCode: 137, signal: 'SIGKILL', cgroup: status.cgroup });
  });

  test('kill(SIGTERM) ends sleep under an init, and the status names the signal', async () => {
    const c = api.startContainer({ rootfs: fx.rootfs, command: ['sh', '-c', 'echo ready; exec sleep 64'], init: true }, { stdio: 'pipe' });
    await new Promise<void>((resolve) => c.stdout?.once('data', () => resolve()));
    c.kill('SIGTERM');
    const status = await c.wait();
    assert.deepEqual(status, { exitCode: 143, signal: 'SIGTERM', cgroup: status.cgroup });
  });

  test('setup failures reject with a typed MobyDickError', async () => {
    await assert.rejects(api.runContainer({ rootfs: fx.rootfs, command: ['mdk-test-nosuch'] }, { stdio: 'pipe' }), (e: unknown) => {
      assert.ok(e instanceof api.MobyDickError);
      assert.equal(e.code, 'COMMAND_NOT_FOUND');
      assert.equal(e.exitCode, 127);
      assert.equal(e.details.step, 'exec');
      assert.equal(e.details.errnoName, 'ENOENT');
      return true;
    });
    assert.throws(() => api.startContainer({ rootfs: '/nonexistent/mdk-test', command: ['true'] }), api.MobyDickError);
  });

  test('the OCI runtime as a library: create, start, state, kill, delete', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const root = mkdtempSync('/tmp/mdk-test-lib-root-');
    const bundle = mkdtempSync('/tmp/mdk-test-lib-bundle-');
    try {
      const { defaultSpec } = await import('../../src/spec/default-spec.js');
      const spec = defaultSpec();
      spec.root = { path: fx.rootfs, readonly: false };
      spec.process!.terminal = false;
      spec.process!.args = ['sleep', '35'];
      writeFileSync(`${bundle}/config.json`, JSON.stringify(spec));
      const rt = new api.OciRuntime(new api.StateStore(root));
      await rt.create('mdk-test-lib', { bundle });
      assert.equal(rt.state('mdk-test-lib').status, 'created');
      await rt.start('mdk-test-lib');
      assert.equal(rt.state('mdk-test-lib').status, 'running');
      rt.kill('mdk-test-lib', 'SIGKILL');
      rt.delete('mdk-test-lib', true);
      assert.deepEqual(rt.list(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(bundle, { recursive: true, force: true });
    }
  });

  test('onStep reports every setup step with its duration', async () => {
    const steps: string[] = [];
    await api.runContainer({ rootfs: fx.rootfs, command: ['true'] }, { stdio: 'pipe', onStep: (s) => steps.push(`${s.source}:${s.name}`) });
    for (const s of ['engine:compile plan', 'helper:clone', 'helper:mount', 'helper:pivot', 'helper:exec']) {
      assert.ok(steps.includes(s), `${s} in ${steps.join(' ')}`);
    }
  });
});

describe('openEngine (the engine in-process)', () => {
  test('loads an image, runs, execs, stops, reads logs, lists and removes containers', async () => {
    const before = snapshot();
    const env = makeImageEnv();
    const saved = { MOBY_DICK_CGROUP_PARENT: process.env.MOBY_DICK_CGROUP_PARENT, MOBY_DICK_NET_PREFIX: process.env.MOBY_DICK_NET_PREFIX };
    // the engine reads its cgroup parent and network prefix from the environment, as the CLI's
    Object.assign(process.env, { MOBY_DICK_CGROUP_PARENT: env.env.MOBY_DICK_CGROUP_PARENT, MOBY_DICK_NET_PREFIX: env.env.MOBY_DICK_NET_PREFIX });
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/mdk-test-lib-image-');
    const engine = await api.openEngine({ root: env.root });
    try {
      const loaded = await engine.load(buildBusyboxImage(dir).archive);
      assert.deepEqual(loaded.map((l) => l.tags), [['docker.io/library/busybox:latest']]);
      assert.deepEqual(engine.images().map((i) => i.id), [loaded[0]!.id]);

      const c = await engine.run({ image: 'busybox', name: 'mdk-test-lib-sleep', command: ['sleep', '64'], network: 'none', init: true, env: ['MDK=1'] });
      assert.ok(c.pid > 1);
      const x = await engine.exec(c.id, ['sh', '-c', 'echo $MDK $(hostname); echo e >&2; exit 5']);
      assert.deepEqual(x, { exitCode: 5, stdout: `1 ${c.id.slice(0, 12)}\n`, stderr: 'e\n' });
      assert.deepEqual(engine.list().map((s) => [s.name, s.status, s.running]), [['mdk-test-lib-sleep', 'running', true]]);
      await assert.rejects(engine.exec(c.id, ['mdk-test-nosuch']), api.MobyDickError);
      await engine.stop(c.id, { timeout: 5 });
      assert.deepEqual(await c.wait(), { exitCode: 143, signal: 'SIGTERM' });
      assert.deepEqual(await engine.wait(c.id), { exitCode: 143, signal: 'SIGTERM' }, 'wait by name after the end: the record');
      assert.equal(engine.inspect('mdk-test-lib-sleep').status, 'exited');

      const d = await engine.run({ image: 'busybox', command: ['sh', '-c', 'echo out; echo err >&2; exit 3'], network: 'none' });
      assert.deepEqual(await d.wait(), { exitCode: 3 });
      assert.deepEqual(await engine.output(d.id), { stdout: 'out\n', stderr: 'err\n' });
      const lines: string[] = [];
      for await (const l of engine.logs(d.id, { tail: 1 })) lines.push(`${l.stream}:${l.text}`);
      assert.equal(lines.length, 1);

      const e = await engine.run({ image: 'busybox', command: ['sleep', '64'], network: 'none' });
      engine.kill(e.id);
      assert.deepEqual(await e.wait(), { exitCode: 137, signal: 'SIGKILL' });
      for (const id of [c.id, d.id, e.id]) engine.remove(id);
      assert.deepEqual(engine.list(), []);
      assert.throws(() => engine.inspect(c.id), api.MobyDickError);

      // closed while a container runs: it runs on, and its monitor runs the package's container-exited when it ends
      const f = await engine.run({ image: 'busybox', command: ['sleep', '64'], network: 'none' });
      await engine.close();
      await assert.rejects(f.wait(), /closed while container/);
      const again = await api.openEngine({ root: env.root });
      try {
        assert.equal(again.inspect(f.id).status, 'running');
        again.kill(f.id);
        assert.deepEqual(await again.wait(f.id), { exitCode: 137, signal: 'SIGKILL' });
        again.remove(f.id);
        assert.deepEqual(again.list(), []);
      } finally {
        await again.close();
      }
    } finally {
      await engine.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
      env.remove();
    }
    await assertNoLeaks(before);
  });
});

describe('moby-dick/unpack (the layer unpacker alone)', () => {
  test('unpacks a layer file and a layer stream as the library does', async () => {
    const slim: typeof import('../../src/unpack.js') = await import('moby-dick/unpack' as string);
    assert.equal(typeof api.unpackLayerFile, 'function');
    const { mkdtempSync, readFileSync, rmSync, writeFileSync, lstatSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const dir = mkdtempSync('/tmp/mdk-test-slim-');
    try {
      writeFileSync(join(dir, 'hello'), 'world\n', { mode: 0o640 });
      const tar = execFileSync('tar', ['-C', dir, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', 'hello']);
      writeFileSync(join(dir, 'layer.tar'), tar);
      const r = await slim.unpackLayerFile(join(dir, 'layer.tar'), join(dir, 'out'), { layerDigest: 'sha256:mdk-test-slim' });
      assert.equal(r.entries, 1);
      assert.equal(r.bytes, tar.length);
      assert.equal(readFileSync(join(dir, 'out', 'hello'), 'utf8'), 'world\n');
      assert.equal(lstatSync(join(dir, 'out', 'hello')).mode & 0o777, 0o640);
      await slim.unpackLayer((await import('node:stream')).Readable.from([tar]), join(dir, 'out2'), { layerDigest: 'sha256:mdk-test-slim' });
      assert.equal(readFileSync(join(dir, 'out2', 'hello'), 'utf8'), 'world\n');
      await assert.rejects(slim.unpackLayerFile(join(dir, 'mdk-test-none.tar'), join(dir, 'out3'), { layerDigest: 'sha256:mdk-test-slim' }), /cannot open/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
