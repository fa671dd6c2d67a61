/**
 * --explain against the kernel: what each group of the explanation says is
 * checked against the container's real state, read from inside it
 * (/proc/self/status, /proc/self/ns/*, mountinfo, its links, its cgroup),
 * for `run --rootfs`, the original form and moby-dick-runtime's run,
 * create and exec.
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mdk } from '../helpers/cli.js';
import { checkAgainstKernel, parseExplanation, PROBE } from '../helpers/explain-check.js';
import { useOci } from '../helpers/fixtures.js';

describe('--explain', () => {
  const fx = useOci();

  test('run --rootfs --explain=json: each group matches the container\'s real state', async () => {
    const r = await mdk(['run', '--explain=json', '--rootfs', fx.rootfs, 'sh', '-c', PROBE]);
    assert.equal(r.code, 0, r.stderr);
    const e = parseExplanation(r.stderr);
    assert.equal(e.form, 'run --rootfs');
    assert.ok(e.seccomp && e.seccomp.blocked.includes('mount'));
    assert.ok(e.masked.length > 0 && e.readonly.length > 0 && e.cgroup !== null);
    for (const step of ['clone', 'pivot', 'seccomp', 'caps', 'exec']) assert.ok(e.steps.some((s) => s.step === step), `step ${step}`);
    checkAgainstKernel(e, r.stdout);
  });

  test('--explain prints text on stderr, in groups, without color when stderr is not a terminal; the output is the program\'s', async () => {
    const r = await mdk(['run', '--explain', '--rootfs', fx.rootfs, 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.ok(!r.stderr.includes('\x1b['), 'no color');
    for (const h of ['IDENTITY', 'FILESYSTEM', 'NETWORK', 'RESOURCES', 'PRIVILEGES', 'PROCESS', 'TIME']) assert.match(r.stderr, new RegExp(`^${h} `, 'm'));
    assert.match(r.stderr, /pivot_root\(2\)/);
    assert.match(r.stderr, /capabilities dropped \(\d+\): .*CAP_SYS_ADMIN/s);
  });

  test('the original form --explain=json: its namespaces private, the host\'s files and capabilities', async () => {
    const r = await mdk(['--explain=json', 'sh', '-c', PROBE]);
    assert.equal(r.code, 0, r.stderr);
    const e = parseExplanation(r.stderr);
    assert.equal(e.form, 'original form');
    assert.equal(e.seccomp, null);
    assert.equal(e.namespaces.find((n) => n.kind === 'user')!.state, 'host');
    assert.equal(e.namespaces.find((n) => n.kind === 'network')!.state, 'private');
    checkAgainstKernel(e, r.stdout);
  });

  test('moby-dick-runtime run --explain=json, and create then exec --explain=json: the exec joins the container\'s namespaces', async () => {
    const b = fx.bundle((s) => {
      s.process!.args = ['sh', '-c', PROBE];
      s.process!.noNewPrivileges = true;
    });
    const ran = await fx.rt('run', '--explain=json', '--bundle', b, 'mdk-test-explain-run');
    assert.equal(ran.code, 0, ran.stderr);
    const e = parseExplanation(ran.stderr);
    assert.equal(e.form, 'moby-dick-runtime run');
    assert.equal(e.noNewPrivileges, true);
    checkAgainstKernel(e, ran.stdout);

    const long = fx.bundle((s) => void (s.process!.args = ['sleep', '30']));
    const created = await fx.rt('create', '--explain=json', '--bundle', long, 'mdk-test-explain');
    assert.equal(created.code, 0, created.stderr);
    const c = parseExplanation(created.stderr);
    assert.equal(c.form, 'moby-dick-runtime create');
    assert.ok(c.steps.some((s) => s.step === 'pivot'), 'create explains up to the wait for start');
    assert.equal((await fx.rt('start', 'mdk-test-explain')).code, 0);
    const { pid } = await fx.state('mdk-test-explain');
    const x = await fx.rt('exec', '--explain=json', 'mdk-test-explain', 'sh', '-c', PROBE);
    assert.equal(x.code, 0, x.stderr);
    const ex = parseExplanation(x.stderr);
    assert.equal(ex.form, 'moby-dick-runtime exec');
    assert.ok(ex.namespaces.filter((n) => n.kind !== 'user').every((n) => n.state === 'joined'), JSON.stringify(ex.namespaces));
    checkAgainstKernel(ex, x.stdout, (f) => readlinkSync(`/proc/${pid}/ns/${f}`));
  });
});
