/** The library API, driven from Node without the CLI, through the package's own entry point. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { useRootfs } from '../helpers/fixtures.js';

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
      rt.start('mdk-test-lib');
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
