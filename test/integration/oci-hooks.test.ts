/** OCI hooks: each kind, where it runs, what it gets on stdin, and what a failure does. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runtime } from '../helpers/bundle.js';
import { useOci } from '../helpers/fixtures.js';

describe('moby-dick-runtime hooks', () => {
  const fx = useOci();
  const { rt, bundle } = fx;
  /** where the recorders write: a directory of this test's state root */
  const out = (): string => join(fx.root, 'out');
  /** A hook that writes its stdin and its uts namespace into OUT/<name>. */
  const recorder = (name: string, dir: string) => ({
    path: '/bin/sh',
    args: ['sh', '-c', `{ cat; echo; readlink /proc/self/ns/uts; } > ${dir}/${name}`],
  });

  const read = (file: string): { state: Record<string, unknown>; host: string } => {
    const [json, host] = readFileSync(file, 'utf8').split('\n');
    return { state: JSON.parse(json!) as Record<string, unknown>, host: host ?? '' };
  };

  test('every kind runs at its point with the state on stdin, in the right namespaces', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out());
    const b = bundle((s) => {
      s.hooks = {
        prestart: [recorder('prestart', out())],
        createRuntime: [recorder('createRuntime', out())],
        // before pivot_root: the host's paths are still there, the hostname is the container's
        createContainer: [recorder('createContainer', out())],
        // after pivot_root: paths are the container's
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', '{ cat; echo; readlink /proc/self/ns/uts; } > /tmp/mdk-test-startContainer'] }],
        poststart: [recorder('poststart', out())],
        poststop: [recorder('poststop', out())],
      };
    });
    assert.equal((await rt('create', '--bundle', b, 'mdk-test-h')).code, 0);
    const { pid } = JSON.parse((await rt('state', 'mdk-test-h')).stdout) as { pid: number };
    for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
      const r = read(join(out(), kind));
      assert.equal(r.state.status, 'creating', kind);
      assert.equal(r.state.id, 'mdk-test-h');
      assert.equal(r.state.pid, pid);
      assert.equal(r.state.bundle, b);
    }
    const ownUts = readlinkSync('/proc/self/ns/uts');
    const containerUts = readlinkSync(`/proc/${pid}/ns/uts`);
    assert.notEqual(ownUts, containerUts);
    assert.equal(read(join(out(), 'prestart')).host, ownUts, 'prestart runs in the runtime namespaces');
    assert.equal(read(join(out(), 'createRuntime')).host, ownUts);
    assert.equal(read(join(out(), 'createContainer')).host, containerUts, 'createContainer runs in the container namespaces');
    assert.equal(existsSync(join(out(), 'poststart')), false);

    assert.equal((await rt('start', 'mdk-test-h')).code, 0);
    const started = read(join(fx.rootfs, 'tmp/mdk-test-startContainer'));
    assert.equal(started.state.status, 'created');
    assert.equal(started.host, containerUts);
    rmSync(join(fx.rootfs, 'tmp/mdk-test-startContainer'));
    assert.equal(read(join(out(), 'poststart')).state.status, 'running');

    assert.equal((await rt('delete', '--force', 'mdk-test-h')).code, 0);
    assert.equal(read(join(out(), 'poststop')).state.status, 'stopped');
  });

  test('a failing createRuntime hook fails create and leaves nothing', async () => {
    const b = bundle((s) => void (s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 3'] }] }));
    const r = await rt('create', '--bundle', b, 'mdk-test-hf');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /createRuntime hook \/bin\/sh failed: exit status 3: nope/);
    assert.equal((await rt('list', '-q')).stdout, '');
  });

  test('a hook past its timeout is killed and fails', async () => {
    const b = bundle((s) => void (s.hooks = { prestart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const t0 = Date.now();
    const r = await rt('create', '--bundle', b, 'mdk-test-ht');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /prestart hook \/bin\/sleep failed: timed out after 1 s/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  test('a failing poststart hook is only a warning in the log', async () => {
    const log = join(fx.root, 'log.json');
    const b = bundle((s) => {
      s.hooks = { poststart: [{ path: '/bin/false' }] };
      // a state larger than a pipe holds, which the hook may leave unread: that is not its failure
      s.annotations = { 'org.moby-dick.test.padding': 'x'.repeat(200_000) };
    });
    assert.equal((await runtime(fx.root, ['--log', log, '--log-format', 'json', 'run', '-d', '--bundle', b, 'mdk-test-hw'])).code, 0);
    const text = readFileSync(log, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.ok(lines.some((l) => l.level === 'warning' && /poststart hook \/bin\/false failed: exit status 1/.test(l.msg)), text);
  });

  test('run (foreground) runs the hooks too', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out());
    const b = bundle((s) => {
      s.process!.args = ['true'];
      s.hooks = { createRuntime: [recorder('createRuntime', out())], startContainer: [{ path: '/bin/true' }], poststop: [recorder('poststop', out())] };
    });
    assert.equal((await rt('run', '--bundle', b, 'mdk-test-hr')).code, 0);
    assert.equal(read(join(out(), 'createRuntime')).state.status, 'creating');
    assert.equal(read(join(out(), 'poststop')).state.status, 'stopped');
  });
});
