/**
 * Checks an --explain=json explanation against the container's real state:
 * PROBE, run in the container, prints what the kernel says of it
 * (/proc/self/status, /proc/self/ns/*, its ids, links, addresses, routes,
 * mountinfo, cgroups, devices.list); checkAgainstKernel compares each group.
 */
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import type { Explanation } from '../../src/explain/explanation.js';
import { effectiveCapabilities } from '../../src/explain/recorder.js';

/** What the container says of itself, one fact a line. Only tools busybox and the host both have. */
export const PROBE = [
  'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status',
  'for n in pid net mnt ipc uts user cgroup; do echo "ns $n $(readlink /proc/self/ns/$n)"; done',
  'echo "id $(id -u) $(id -g)"',
  'echo "cwd $(pwd)"',
  'ip -o link | sed "s/^/link /"',
  'ip -o -4 addr | sed "s/^/addr /"',
  'ip route | sed "s/^/route /"',
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
export function parseExplanation(stderr: string): Explanation {
  const start = stderr.indexOf('{\n');
  assert.ok(start >= 0, `an explanation in:\n${stderr}`);
  return JSON.parse(stderr.slice(start, stderr.lastIndexOf('\n}') + 2)) as Explanation;
}

/** Each group of E against what the container (PROBE's output) and the host say. NSOF: the namespace files the container's are compared with. */
export function checkAgainstKernel(e: Explanation, out: string, nsOf: (file: string) => string = (f) => readlinkSync(`/proc/self/ns/${f}`)): void {
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
  if (e.network.mode === 'bridge') {
    const addrs = facts(out, 'addr').join('\n');
    for (const i of e.network.interfaces.filter((x) => /^eth\d+$/.test(x.name))) {
      const cidr = / address (\S+) /.exec(i.says)?.[1];
      assert.ok(cidr !== undefined && addrs.split('\n').some((l) => l.includes(` ${i.name} `) && l.includes(`inet ${cidr} `)), `${i.name} has ${cidr}:\n${addrs}`);
    }
    const gw = e.network.interfaces.find((x) => x.name === 'route');
    assert.ok(gw, 'a default route is said');
    const via = /via (\S+),/.exec(gw.says)?.[1];
    assert.ok(facts(out, 'route').some((l) => l.startsWith(`default via ${via} dev eth0`)), `default via ${via}:\n${facts(out, 'route').join('\n')}`);
  }
  // resources: the cgroup's device rules are those written (v1), and the cgroup namespace shows its root
  if (e.cgroup) {
    if (e.namespaces.find((n) => n.kind === 'cgroup')!.state === 'private') {
      for (const line of facts(out, 'cgroup')) assert.match(line, /:\/$/, 'its own cgroup is the root');
    }
    if (e.cgroup.version === 1) {
      const list = facts(out, 'dev');
      for (const w of e.cgroup.writes.filter((x) => x.file === 'devices.allow')) assert.ok(list.includes(w.value), `${w.value} in devices.list:\n${list.join('\n')}`);
      // rules copied from the parent at mkdir: the container's devices.list is exactly those said
      if (e.cgroup.inherited) assert.deepEqual([...list].sort(), [...e.cgroup.inherited.devicesList].sort(), 'devices.list is the inherited one');
    } else {
      assert.equal(e.cgroup.deviceFilter, true);
    }
  }
  // the steps: numbered in order, each with its primitive, and their times add up
  assert.deepEqual(e.steps.map((s) => s.n), e.steps.map((_, i) => i + 1));
  const sum = e.steps.reduce((a, s) => a + s.milliseconds, 0);
  assert.ok(Math.abs(sum - e.milliseconds.total) < 0.01 * e.steps.length, `${sum} ~ ${e.milliseconds.total}`);
}

