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
  /**
   * A hook that writes its stdin, its uts and mount namespaces into OUT/<name>, and appends its name to
   * OUT/order (AFTER: a file whose presence it notes in the order too, for what it cannot see from there).
   */
  const recorder = (name: string, dir: string, after?: string) => ({
    path: '/bin/sh',
    args: ['sh', '-c', `{ cat; echo; readlink /proc/self/ns/uts; readlink /proc/self/ns/mnt; } > ${dir}/${name}; ${after ? `[ -e ${after} ] && echo "(${after.split('/').pop()})" >> ${dir}/order; ` : ''}echo ${name} >> ${dir}/order`],
  });

  const read = (file: string): { state: Record<string, unknown>; host: string; mnt: string } => {
    const [json, host, mnt] = readFileSync(file, 'utf8').split('\n');
    return { state: JSON.parse(json!) as Record<string, unknown>, host: host ?? '', mnt: mnt ?? '' };
  };

  test('every kind runs at its point, in order, with the spec\'s state on stdin, in the right namespaces', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out());
    const annotations = { 'org.moby-dick.test': 'hooks' };
    // after pivot_root: the container's paths (its /tmp is the rootfs's)
    const started = join(fx.rootfs, 'tmp/mdk-test-startContainer');
    const b = bundle((s) => {
      s.annotations = annotations;
      s.hooks = {
        prestart: [recorder('prestart', out())],
        createRuntime: [recorder('createRuntime', out())],
        // before pivot_root: the host's paths are still there, the namespaces are the container's
        createContainer: [recorder('createContainer', out())],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', '{ cat; echo; readlink /proc/self/ns/uts; readlink /proc/self/ns/mnt; } > /tmp/mdk-test-startContainer'] }],
        poststart: [recorder('poststart', out(), started)],
        poststop: [recorder('poststop', out())],
      };
    });
    try {
      assert.equal((await rt('create', '--bundle', b, 'mdk-test-h')).code, 0);
      const { pid } = JSON.parse((await rt('state', 'mdk-test-h')).stdout) as { pid: number };
      const ownUts = readlinkSync('/proc/self/ns/uts');
      const ownMnt = readlinkSync('/proc/self/ns/mnt');
      const containerUts = readlinkSync(`/proc/${pid}/ns/uts`);
      const containerMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
      assert.notEqual(ownUts, containerUts);
      assert.notEqual(ownMnt, containerMnt);
      /** the runtime spec's state: the pid as the namespace the hook runs in sees it (1: the container's own pid namespace) */
      const expectState = (kind: string, status: string, expectedPid: number | null): void => {
        const r = kind === 'startContainer' ? read(started) : read(join(out(), kind));
        assert.equal(r.state.ociVersion, '1.2.0', kind);
        assert.equal(r.state.id, 'mdk-test-h', kind);
        assert.equal(r.state.status, status, kind);
        if (expectedPid !== null) assert.equal(r.state.pid, expectedPid, `${kind}: pid`);
        assert.equal(r.state.bundle, b, kind);
        assert.deepEqual(r.state.annotations, annotations, kind);
        const inContainer = kind === 'createContainer' || kind === 'startContainer';
        assert.equal(r.host, inContainer ? containerUts : ownUts, `${kind}: uts namespace`);
        assert.equal(r.mnt, inContainer ? containerMnt : ownMnt, `${kind}: mount namespace`);
      };
      expectState('prestart', 'creating', pid);
      expectState('createRuntime', 'creating', pid);
      expectState('createContainer', 'creating', 1);
      assert.equal(existsSync(join(out(), 'poststart')), false);

      assert.equal((await rt('start', 'mdk-test-h')).code, 0);
      expectState('startContainer', 'created', 1);
      expectState('poststart', 'running', pid);

      assert.equal((await rt('delete', '--force', 'mdk-test-h')).code, 0);
      expectState('poststop', 'stopped', null);
      const order = readFileSync(join(out(), 'order'), 'utf8').trim().split('\n');
      assert.deepEqual(order, ['prestart', 'createRuntime', 'createContainer', '(mdk-test-startContainer)', 'poststart', 'poststop']);
    } finally {
      rmSync(started, { force: true });
    }
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
      s.hooks = {
        createRuntime: [recorder('createRuntime', out())],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /tmp/mdk-test-startContainer-run'] }],
        poststop: [recorder('poststop', out())],
      };
    });
    const started = join(fx.rootfs, 'tmp/mdk-test-startContainer-run');
    try {
      assert.equal((await rt('run', '--bundle', b, 'mdk-test-hr')).code, 0);
      assert.equal(read(join(out(), 'createRuntime')).state.status, 'creating');
      const start = JSON.parse(readFileSync(started, 'utf8')) as Record<string, unknown>;
      assert.equal(start.status, 'created');
      assert.equal(start.pid, 1, 'the pid the container sees');
      assert.equal(read(join(out(), 'poststop')).state.status, 'stopped');
    } finally {
      rmSync(started, { force: true });
    }
  });
});
