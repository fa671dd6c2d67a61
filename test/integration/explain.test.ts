/**
 * --explain against the kernel: what each group of the explanation says is
 * checked against the container's real state, read from inside it
 * (/proc/self/status, /proc/self/ns/*, mountinfo, its links, its cgroup),
 * for `run --rootfs`, the original form and moby-dick-runtime's run,
 * create and exec.
 */
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CLI, mdk, run } from '../helpers/cli.js';
import { checkAgainstKernel, parseExplanation, PROBE } from '../helpers/explain-check.js';
import { useOci } from '../helpers/fixtures.js';
import { effectiveCapabilities } from '../../src/explain/recorder.js';

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
    assert.match(r.stderr, /^ +\d+-\d+\. masked \d+ paths/m, 'the short text: a run of masks on one line');
    const full = await mdk(['run', '--explain=full', '--rootfs', fx.rootfs, 'echo', 'hi']);
    assert.equal(full.code, 0, full.stderr);
    assert.equal(full.stdout, 'hi\n');
    assert.match(full.stderr, /\[pivot_root\(2\), then umount2\(MNT_DETACH\) of the old root; pivot_root\(2\)\]/);
    assert.match(full.stderr, /^ +\d+\. masked \/proc\/kcore: the container sees it empty/m);
    assert.ok(full.stderr.split('\n').length > r.stderr.split('\n').length * 1.4, 'full is every step');
  });

  test('in a terminal: color, wrapped at the terminal\'s width; NO_COLOR turns the color off', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete env.NO_COLOR;
    const inTerminal = (extra: string) => run('script', ['-qec', `stty cols 150; ${extra}${CLI} run --explain --rootfs ${fx.rootfs} echo hi`, '/dev/null'], { env });
    const tty = await inTerminal('');
    assert.equal(tty.code, 0, tty.stdout);
    assert.match(tty.stdout, /\x1b\[1mHow this container was made \(run --rootfs\)/);
    assert.match(tty.stdout, /network namespace: \x1b\[32mprivate\x1b\[0m/);
    const plain = await mdk(['run', '--explain', '--rootfs', fx.rootfs, 'echo', 'hi']);
    const lines = (t: string) => t.replace(/\r/g, '').split('\n').length;
    assert.ok(lines(tty.stdout) < lines(plain.stderr), `150 columns: ${lines(tty.stdout)} lines, against ${lines(plain.stderr)} at 100`);
    const noColor = await inTerminal('NO_COLOR=1 ');
    assert.equal(noColor.code, 0, noColor.stdout);
    assert.match(noColor.stdout, /How this container was made/);
    assert.ok(!noColor.stdout.includes('\x1b['), 'NO_COLOR: no escapes');
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

  test('moby-dick-runtime start --explain=json: the release and the init\'s last steps (a seccomp filter loaded last, exec), checked in /proc/PID/status; other flags still refused', async () => {
    const b = fx.bundle((s) => {
      s.process!.args = ['sleep', '30'];
      s.process!.noNewPrivileges = true;
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' }] };
    });
    assert.equal((await fx.rt('create', '--explain=json', '--bundle', b, 'mdk-test-explain-start')).code, 0);
    const strict = await fx.rt('start', '--explain', '--detach', 'mdk-test-explain-start');
    assert.notEqual(strict.code, 0, 'start takes no --detach, --explain or not');
    assert.equal((await fx.state('mdk-test-explain-start')).status, 'created');
    const s = await fx.rt('start', '--explain=json', 'mdk-test-explain-start');
    assert.equal(s.code, 0, s.stderr);
    const e = parseExplanation(s.stderr);
    assert.equal(e.form, 'moby-dick-runtime start');
    assert.deepEqual(e.steps.map((x) => [x.source, x.step, x.purpose]), [['engine', 'release', 'process'], ['helper', 'seccomp', 'privileges'], ['helper', 'exec', 'process']]);
    assert.match(e.steps[1]!.says, /loaded a seccomp filter of \d+ BPF instructions/);
    const { pid, status } = await fx.state('mdk-test-explain-start');
    assert.equal(status, 'running');
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(st, /^Seccomp:\s+2$/m);
    assert.match(st, /^NoNewPrivs:\s+1$/m);
    assert.equal(e.noNewPrivileges, true);
    assert.deepEqual(e.capabilities.kept, effectiveCapabilities(st).slice().sort());

    // created without --explain: the helper did not time its last steps, and the text says so
    const quiet = fx.bundle((s) => void (s.process!.args = ['sleep', '30']));
    assert.equal((await fx.rt('create', '--bundle', quiet, 'mdk-test-explain-quiet')).code, 0);
    const t = await fx.rt('start', '--explain', 'mdk-test-explain-quiet');
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stderr, /^How this container was made \(moby-dick-runtime start\): sleep 30/m);
    const words = t.stderr.replace(/\s+/g, ' ');
    assert.match(words, /released the container's process/);
    assert.match(words, /create was given neither --explain nor --debug/);
    assert.equal((await fx.state('mdk-test-explain-quiet')).status, 'running');
  });
});

