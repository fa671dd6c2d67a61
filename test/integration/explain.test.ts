/**
 * --explain against the kernel: what each group of the explanation says is
 * checked against the container's real state, read from inside it
 * (/proc/self/status, /proc/self/ns/*, mountinfo, its links, its cgroup),
 * for `run --rootfs`, the original form and moby-dick-runtime's run,
 * create and exec.
 */
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mdk } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';
import type { Explanation } from '../../src/explain/explanation.js';
import { effectiveCapabilities } from '../../src/explain/recorder.js';

/** What the container says of itself, one fact a line. Only tools busybox and the host both have. */
const PROBE = [
  'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status',
  'for n in pid net mnt ipc uts user cgroup; do echo "ns $n $(readlink /proc/self/ns/$n)"; done',
  'echo "id $(id -u) $(id -g)"',
  'echo "cwd $(pwd)"',
  'ip -o link | sed "s/^/link /"',
  'sed "s/^/mnt /" /proc/self/mountinfo',
  'sed "s/^/cgroup /" /proc/self/cgroup',
  'if [ -r /sys/fs/cgroup/devices/devices.list ]; then sed "s/^/dev /" /sys/fs/cgroup/devices/devices.list; fi',
].join('; ');

const NS_FILE: Readonly<Record<string, string>> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup' };

function facts(stdout: string, key: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`${key} `))
    .map((l) => l.slice(key.length + 1));
}

function status(stdout: string, field: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${field}:`));
  assert.ok(line, `${field} in /proc/self/status`);
  return line.slice(field.length + 1).trim();
}

/** The explanation in stderr: the JSON document --explain=json printed there. */
function parseExplanation(stderr: string): Explanation {
  const start = stderr.indexOf('{\n');
  assert.ok(start >= 0, `an explanation in:\n${stderr}`);
  return JSON.parse(stderr.slice(start, stderr.lastIndexOf('\n}') + 2)) as Explanation;
}

/** Each group of E against what the container (PROBE's output) and the host say. NSOF: the namespace files the container's are compared with. */
function checkAgainstKernel(e: Explanation, out: string, nsOf: (file: string) => string = (f) => readlinkSync(`/proc/self/ns/${f}`)): void {
  // privileges: the capabilities kept are exactly CapEff; seccomp and no_new_privs as said
  assert.deepEqual(e.capabilities.kept, effectiveCapabilities(`CapEff:\t${status(out, 'CapEff')}`).slice().sort(), 'capabilities kept == CapEff');
  assert.equal(status(out, 'Seccomp'), e.seccomp ? '2' : '0', 'seccomp filter mode');
  assert.equal(status(out, 'NoNewPrivs'), e.noNewPrivileges ? '1' : '0');
  // identity and the rest: a namespace said private differs from the host's (or the one compared with), a shared one is the same
  const theirs = new Map(facts(out, 'ns').map((l) => l.split(' ') as [string, string]));
  for (const n of e.namespaces) {
    const file = NS_FILE[n.kind];
    if (!file) continue;
    const inside = theirs.get(file);
    assert.ok(inside, `${file} namespace read inside`);
    if (n.state === 'private') assert.notEqual(inside, nsOf(file), `${n.kind} namespace said private`);
    else assert.equal(inside, n.state === 'joined' ? nsOf(file) : readlinkSync(`/proc/self/ns/${file}`), `${n.kind} namespace said ${n.state}`);
  }
  assert.deepEqual(facts(out, 'id'), [`${e.user.uid} ${e.user.gid}`]);
  assert.deepEqual(facts(out, 'cwd'), [e.user.cwd]);
  // filesystem: each masked path (that the host has) is a mount of its own; each read-only path is mounted ro
  const mounts = facts(out, 'mnt').map((l) => l.split(' '));
  for (const m of e.masked) {
    if (!existsSync(m.path)) continue;
    assert.ok(mounts.some((f) => f[4] === m.path), `${m.path} is masked by a mount`);
  }
  for (const r of e.readonly) {
    if (!existsSync(r.path)) continue;
    assert.ok(mounts.some((f) => f[4] === r.path && f[5]!.split(',').includes('ro')), `${r.path} is mounted read-only`);
  }
  // network: the links are those said, and lo is down when it is said to be
  if (e.network.mode === 'none') {
    const links = facts(out, 'link');
    assert.deepEqual(links.map((l) => l.split(': ')[1]), e.network.interfaces.map((i) => i.name));
    const lo = e.network.interfaces.find((i) => i.name === 'lo')!;
    assert.equal(/<[^>]*\bUP\b/.test(links[0]!), !lo.says.includes('down'), links[0]);
  }
  // resources: the cgroup's device rules are those written (v1), and the cgroup namespace shows its root
  if (e.cgroup) {
    if (e.namespaces.find((n) => n.kind === 'cgroup')!.state === 'private') {
      for (const line of facts(out, 'cgroup')) assert.match(line, /:\/$/, 'its own cgroup is the root');
    }
    if (e.cgroup.version === 1) {
      const list = facts(out, 'dev');
      for (const w of e.cgroup.writes.filter((x) => x.file === 'devices.allow')) assert.ok(list.includes(w.value), `${w.value} in devices.list:\n${list.join('\n')}`);
    } else {
      assert.equal(e.cgroup.deviceFilter, true);
    }
  }
  // the steps: numbered in order, each with its primitive, and their times add up
  assert.deepEqual(e.steps.map((s) => s.n), e.steps.map((_, i) => i + 1));
  const sum = e.steps.reduce((a, s) => a + s.milliseconds, 0);
  assert.ok(Math.abs(sum - e.milliseconds.total) < 0.01 * e.steps.length, `${sum} ~ ${e.milliseconds.total}`);
}

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
