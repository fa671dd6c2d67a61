import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capabilityMask, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { MS } from '../linux/mount-flags.js';
import { NAMESPACE_FLAGS } from '../linux/namespaces.js';
import { compileOciPlan, type HostFacts } from '../oci/compile.js';
import { compileSeccomp } from '../oci/seccomp.js';
import { type ContainerConfig, resolveConfig } from '../runtime/config.js';
import type { Op } from '../runtime/plan.js';
import { compilePlan } from '../runtime/plan-compiler.js';
import { defaultSeccompProfile } from '../spec/seccomp-profile.js';
import type { HostRootEntry } from '../oci/host-view.js';
import { hostViewSpec, JAIL_CGROUP_PARENT, jailSpec } from './jail-spec.js';

const HOST: HostFacts = { kindOf: () => 'dir', cgroupV1: [{ name: 'memory', options: 'memory' }], cgroupV2Only: false };
const JAIL_CAPS = DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD');

function resolved(config: Partial<ContainerConfig>) {
  return resolveConfig({ command: ['sh'], rootfs: '/srv/root', ...config });
}

/** The jail's plan as the old compiler made it, and as the one compiler makes it from jailSpec. */
function both(config: Partial<ContainerConfig>): { old: Op[]; now: Op[] } {
  const r = resolved(config);
  const spec = jailSpec(r, 'mdk-test-jail');
  const seccomp = compileSeccomp(spec.linux!.seccomp!);
  const now = compileOciPlan(spec, { bundle: '/srv/root', detach: false, syncCgroup: true, seccomp, host: HOST, init: r.init, interactive: r.interactive, makeCwd: true });
  return { old: [...compilePlan(r)], now };
}

/** What is in A and not in B, counted. */
function minus(a: readonly Op[], b: readonly Op[]): Op[] {
  const left = b.map((o) => JSON.stringify(o));
  return a.filter((o) => {
    const i = left.indexOf(JSON.stringify(o));
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

const NS = NAMESPACE_FLAGS;
const ALL_NS = NS.mount + NS.uts + NS.ipc + NS.pid + NS.network + NS.cgroup;
/** MS_RELATIME: the cgroup mount's option relatime */
const RELATIME = 0x200000;
const RO_NOSUID_NODEV_NOEXEC = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC;

describe('jailSpec: the jail\'s plan from the one compiler, against the old compilePlan', () => {
  const caps = capabilityMask(JAIL_CAPS);
  for (const [what, config] of [
    ['the defaults', {}],
    ['tty, stdin, a user, read-only, a working directory, --init', { tty: true, interactive: true, user: { uid: 1000, gid: 100 }, readOnly: true, cwd: '/work', init: true }],
  ] as const) {
    test(`the same ops but for the named differences: ${what}`, () => {
      const { old, now } = both(config);
      const seccomp = now.find((o) => o.op === 'seccomp');
      assert.ok(seccomp?.op === 'seccomp' && seccomp.program.length > 1000);
      // the differences, named
      assert.deepEqual(minus(old, now), [
        // the cgroup namespace is no longer made by clone...
        { op: 'clone', flags: ALL_NS },
        // /dev/shm: the mount point's mode (the tmpfs is mode=1777 all the same), its size in bytes (the same 64 MiB)
        { op: 'mkdir', path: '/dev/shm', mode: 0o1777 },
        { op: 'mount', source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=1777,size=65536k' },
        // Docker's inheritable set is empty (CVE-2022-24769)
        { op: 'caps', effective: caps, permitted: caps, inheritable: caps, ambient: '0' },
      ]);
      assert.deepEqual(minus(now, old), [
        // ...but after the cgroup sync, where the engine places the child in its cgroup: rooted there
        { op: 'clone', flags: ALL_NS - NS.cgroup },
        { op: 'sync', name: 'cgroup' },
        { op: 'unshare', flags: NS.cgroup },
        // runc's prepareRoot: the mount that holds the root private
        { op: 'propagate_up', path: '/srv/root', flags: MS.PRIVATE },
        // the container's own cgroups, read-only, as an engine container's
        { op: 'mkdir', path: '/sys/fs/cgroup', mode: 0o755 },
        { op: 'mount', source: 'tmpfs', target: '/sys/fs/cgroup', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | RELATIME, data: 'mode=755' },
        { op: 'mkdir', path: '/sys/fs/cgroup/memory', mode: 0o755 },
        { op: 'mount', source: 'cgroup', target: '/sys/fs/cgroup/memory', fstype: 'cgroup', flags: RO_NOSUID_NODEV_NOEXEC | RELATIME, data: 'memory' },
        { op: 'remount', target: '/sys/fs/cgroup', flags: MS.RDONLY },
        { op: 'mkdir', path: '/dev/shm', mode: 0o755 },
        { op: 'mount', source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=1777,size=67108864' },
        seccomp,
        { op: 'caps', effective: caps, permitted: caps, inheritable: '0', ambient: '0' },
      ]);
    });
  }

  test('the order: devices through the checked mknod after every mount, the filter with the working directory before capabilities', () => {
    const { old, now } = both({ tty: true });
    const names = (ops: Op[]) => ops.map((o) => o.op);
    const lastMount = names(now).lastIndexOf('mount');
    assert.ok(names(now).indexOf('mknod') > lastMount, 'devices once the mounts are made (compile.ts: a device the root has must be that device)');
    assert.ok(names(old).indexOf('mknod') < old.findIndex((o) => o.op === 'mount' && o.target === '/dev/pts'), 'before: right after the /dev tmpfs');
    const steps = (ops: Op[]) => names(ops).filter((n) => ['clone', 'mount_host', 'setroot', 'pivot', 'mask', 'readonly', 'hostname', 'pty', 'cwd', 'seccomp', 'bounding', 'caps', 'exec'].includes(n));
    const dedupe = (l: string[]) => l.filter((n, i) => n !== l[i - 1]);
    assert.deepEqual(dedupe(steps(old)), ['clone', 'mount_host', 'setroot', 'pivot', 'mask', 'readonly', 'hostname', 'pty', 'bounding', 'caps', 'cwd', 'exec']);
    assert.deepEqual(dedupe(steps(now)), ['clone', 'mount_host', 'setroot', 'pivot', 'mask', 'readonly', 'hostname', 'pty', 'cwd', 'seccomp', 'bounding', 'caps', 'exec']);
  });
});

describe('jailSpec', () => {
  test('an engine container\'s defaults, CAP_MKNOD withheld, /mytmp and the hostname as spec fields', () => {
    const spec = jailSpec(resolved({ hostname: 'mdk-test-h' }), 'mdk-test-jail');
    assert.deepEqual(spec.process?.capabilities?.bounding, JAIL_CAPS);
    assert.equal(spec.process?.oomScoreAdj, undefined, 'the caller\'s OOM score is kept, as before');
    assert.deepEqual(spec.linux?.seccomp, defaultSeccompProfile(JAIL_CAPS));
    assert.equal(spec.linux?.cgroupsPath, `${JAIL_CGROUP_PARENT}/mdk-test-jail`);
    assert.deepEqual(spec.linux?.resources?.devices, [{ allow: false, access: 'rwm' }]);
    assert.equal(spec.hostname, 'mdk-test-h');
    assert.deepEqual(spec.mounts?.at(-1), { destination: '/mytmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    assert.deepEqual(spec.linux?.namespaces?.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  });

  test('capabilities as asked: a list exactly, or all of them', () => {
    assert.deepEqual(jailSpec(resolved({ capabilities: ['CAP_CHOWN'] }), 'mdk-test-c').process?.capabilities?.effective, ['CAP_CHOWN']);
    assert.ok((jailSpec(resolved({ capabilities: 'all' }), 'mdk-test-c').process?.capabilities?.effective ?? []).includes('CAP_SYS_ADMIN'));
  });

  test('a tty without stdin is not interactive; a working directory is made, as Docker\'s', () => {
    const { now } = both({ tty: true, cwd: '/work/dir' });
    assert.deepEqual(now.find((o) => o.op === 'tty'), { op: 'tty', interactive: false });
    assert.ok(now.some((o) => o.op === 'mkdir' && o.path === '/work/dir'));
  });
});

const HOST_ROOT: HostRootEntry[] = [
  { name: 'bin', kind: 'symlink', target: 'usr/bin' },
  { name: 'etc', kind: 'dir' },
  { name: 'proc', kind: 'dir' },
  { name: 'tmp', kind: 'dir' },
  { name: 'usr', kind: 'dir' },
  { name: 'mytmp', kind: 'dir' },
  { name: '.dockerenv', kind: 'file' },
  { name: 'sock', kind: 'other' },
];

describe('hostViewSpec: the original form\'s plan from the one compiler, against the old compilePlan', () => {
  const NO_FACTS: HostFacts = { kindOf: () => null, cgroupV1: [], cgroupV2Only: false };
  const compile = (config: Partial<ContainerConfig>, debug = false) => {
    const r = resolveConfig({ command: ['sh'], ...config });
    return {
      old: [...compilePlan(r, { hostRoot: HOST_ROOT, debug })],
      now: compileOciPlan(hostViewSpec(r), { bundle: '/', detach: false, syncCgroup: false, debug, host: NO_FACTS, init: r.init, interactive: r.interactive, hostView: { entries: HOST_ROOT } }),
    };
  };
  for (const [what, config] of [
    ['the defaults', {}],
    ['tty, stdin, a user, a working directory, --init, a hostname', { tty: true, interactive: true, user: { uid: 1000, gid: 100, additionalGids: [5] }, cwd: '/usr/share', init: true, hostname: 'mdk-test-h' }],
    ['a list of capabilities', { capabilities: ['CAP_CHOWN', 'CAP_KILL'] }],
  ] as const) {
    test(`the same ops in the same order, but /proc's mount point mode (hidden under proc's own 0555): ${what}`, () => {
      const { old, now } = compile(config, true);
      const procMkdir = (ops: Op[]) => ops.map((o) => (o.op === 'mkdir' && o.path === '/proc' ? { ...o, mode: 0 } : o));
      assert.deepEqual(procMkdir(now), procMkdir(old));
      assert.deepEqual(now.find((o) => o.op === 'mkdir' && o.path === '/proc'), { op: 'mkdir', path: '/proc', mode: 0o755 });
      assert.deepEqual(old.find((o) => o.op === 'mkdir' && o.path === '/proc'), { op: 'mkdir', path: '/proc', mode: 0o555 });
    });
  }
});
