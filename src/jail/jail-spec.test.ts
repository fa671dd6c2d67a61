/**
 * The jail's and the original form's plans, as the one compiler makes them
 * from jailSpec() and hostViewSpec(). Until docs/one-compiler.md was built
 * these plans came from a compiler of their own (runtime/plan-compiler.ts);
 * the differences from it, checked op by op then, are named here:
 *   - the cgroup sync, and the cgroup namespace made after it (unshare),
 *     rooted in the container's cgroup; /sys/fs/cgroup mounted read-only;
 *   - the default seccomp filter, loaded with the working directory before
 *     the capabilities are dropped (runc's order);
 *   - runc's prepareRoot (propagate_up: the mount holding the root private);
 *   - devices made once every mount is made, through the checked mknod (a
 *     device the root already has must be that device);
 *   - /dev/shm's mount point 0755 (its tmpfs mode=1777), its size in bytes;
 *   - an empty inheritable capability set, as Docker's (CVE-2022-24769).
 * The host view's plan was the same op for op, but /proc's mount point mode
 * (0755, hidden under proc's own 0555).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capabilityMask, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { MS } from '../linux/mount-flags.js';
import { NAMESPACE_FLAGS } from '../linux/namespaces.js';
import { compileOciPlan, type HostFacts } from '../oci/compile.js';
import type { HostRootEntry } from '../oci/host-view.js';
import { compileSeccomp } from '../oci/seccomp.js';
import { type ContainerConfig, resolveConfig } from '../helper/config.js';
import type { Op, OpName } from '../helper/plan.js';
import { defaultSeccompProfile } from '../spec/seccomp-profile.js';
import { MASKED_PATHS, READONLY_PATHS } from '../spec/defaults.js';
import { hostViewSpec, JAIL_CGROUP_PARENT, jailSpec } from './jail-spec.js';
import { needsSealedHelper } from './start.js';

const FACTS: HostFacts = { kindOf: () => 'dir', cgroupV1: [{ name: 'memory', options: 'memory' }], cgroupV2Only: false };
const JAIL_CAPS = DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD');
const HOST_ROOT: HostRootEntry[] = [
  { name: 'bin', kind: 'symlink', target: 'usr/bin' },
  { name: 'etc', kind: 'dir' },
  { name: 'proc', kind: 'dir' },
  { name: 'tmp', kind: 'dir' },
  { name: 'usr', kind: 'dir' },
  { name: '.dockerenv', kind: 'file' },
  { name: 'sock', kind: 'other' },
];

const resolved = (config: Partial<ContainerConfig>) => resolveConfig({ command: ['sh'], ...config });

/** The plan startContainer compiles for CONFIG (jail/start.ts), with the filter compiled here. */
function plan(config: Partial<ContainerConfig>, debug = false, hostRoot: readonly HostRootEntry[] = HOST_ROOT): Op[] {
  const r = resolved(config);
  if (r.rootfs === null) {
    return compileOciPlan(hostViewSpec(r), {
      bundle: '/', detach: false, syncCgroup: false, debug, host: FACTS, init: r.init, interactive: r.interactive, hostView: { entries: hostRoot },
    });
  }
  const spec = jailSpec(r, 'mdk-test-jail');
  return compileOciPlan(spec, {
    bundle: r.rootfs, detach: false, syncCgroup: true, seccomp: compileSeccomp(spec.linux!.seccomp!), debug, host: FACTS,
    overlay: r.overlay ?? undefined, init: r.init, interactive: r.interactive, makeCwd: true,
  });
}

const names = (ops: Op[]): OpName[] => ops.map((o) => o.op);
const indexOf = (ops: Op[], pred: (o: Op) => boolean): number => ops.findIndex(pred);
const find = <K extends OpName>(ops: Op[], name: K): Extract<Op, { op: K }>[] => ops.filter((o): o is Extract<Op, { op: K }> => o.op === name);
const mountAt = (ops: Op[], target: string) => find(ops, 'mount').find((m) => m.target === target);
const NS = NAMESPACE_FLAGS;

describe('jailSpec', () => {
  test('its seccomp profile is made when first read (the filter compiled at build time never reads it), then kept', () => {
    const spec = jailSpec(resolved({ rootfs: '/r' }), 'mdk-test-lazy');
    assert.equal(typeof Object.getOwnPropertyDescriptor(spec.linux, 'seccomp')?.get, 'function', 'not made yet');
    assert.ok(Object.keys(spec.linux!).includes('seccomp'), 'but there, for whoever lists or copies the spec');
    const first = JSON.parse(JSON.stringify(spec)).linux.seccomp;
    assert.deepEqual(first, defaultSeccompProfile(JAIL_CAPS));
    assert.deepEqual(Object.getOwnPropertyDescriptor(spec.linux, 'seccomp')?.value, first, 'an ordinary value once read');
    const other = jailSpec(resolved({ rootfs: '/r' }), 'mdk-test-set');
    other.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    assert.deepEqual(other.linux!.seccomp, { defaultAction: 'SCMP_ACT_ALLOW' }, 'set before it was read, it is what was set');
  });

  test('an engine container\'s defaults, CAP_MKNOD withheld, /mytmp and the hostname as spec fields', () => {
    const spec = jailSpec(resolved({ rootfs: '/r', hostname: 'mdk-test-h' }), 'mdk-test-jail');
    assert.deepEqual(spec.process?.capabilities?.bounding, JAIL_CAPS);
    assert.equal(spec.process?.oomScoreAdj, undefined, 'the caller\'s OOM score is kept, as before');
    assert.deepEqual(spec.linux?.seccomp, defaultSeccompProfile(JAIL_CAPS));
    assert.deepEqual(JSON.parse(JSON.stringify(spec)).linux.seccomp, defaultSeccompProfile(JAIL_CAPS), 'in its JSON too');
    assert.equal(spec.linux?.cgroupsPath, `${JAIL_CGROUP_PARENT}/mdk-test-jail`);
    assert.deepEqual(spec.linux?.resources?.devices, [{ allow: false, access: 'rwm' }]);
    assert.equal(spec.hostname, 'mdk-test-h');
    assert.deepEqual(spec.mounts?.at(-1), { destination: '/mytmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    assert.deepEqual(spec.linux?.namespaces?.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  });

  test('capabilities as asked: a list exactly, or all of them', () => {
    assert.deepEqual(jailSpec(resolved({ rootfs: '/r', capabilities: ['CAP_CHOWN'] }), 'mdk-test-c').process?.capabilities?.effective, ['CAP_CHOWN']);
    assert.ok((jailSpec(resolved({ rootfs: '/r', capabilities: 'all' }), 'mdk-test-c').process?.capabilities?.effective ?? []).includes('CAP_SYS_ADMIN'));
  });

  test('the host view has no rootfs to jail', () => {
    assert.throws(() => jailSpec(resolved({}), 'mdk-test-c'), /the jail needs one/);
  });
});

describe('the jail\'s plan (--rootfs, the library)', () => {
  const ops = plan({ rootfs: '/srv/root' });

  test('the original namespaces, the cgroup namespace made after the cgroup sync', () => {
    assert.deepEqual(ops.slice(0, 3), [
      { op: 'clone', flags: NS.mount + NS.uts + NS.ipc + NS.pid + NS.network },
      { op: 'sync', name: 'cgroup' },
      { op: 'unshare', flags: NS.cgroup },
    ]);
  });

  test('mounts rslave before anything is mounted, the root\'s mount private, the rootfs bound onto itself as the root', () => {
    assert.deepEqual(find(ops, 'propagation'), [{ op: 'propagation', flags: MS.SLAVE | MS.REC }]);
    assert.ok(indexOf(ops, (o) => o.op === 'propagation') < indexOf(ops, (o) => o.op === 'mount_host'));
    assert.deepEqual(find(ops, 'propagate_up'), [{ op: 'propagate_up', path: '/srv/root', flags: MS.PRIVATE }]);
    assert.deepEqual(find(ops, 'mount_host'), [{ op: 'mount_host', source: '/srv/root', target: '/srv/root', fstype: '', flags: MS.BIND | MS.REC, data: '' }]);
    assert.deepEqual(find(ops, 'setroot'), [{ op: 'setroot', path: '/srv/root' }]);
  });

  test('proc, a tmpfs /dev, devpts, read-only sysfs and cgroups, mqueue, shm and /mytmp before pivot_root', () => {
    const pivot = indexOf(ops, (o) => o.op === 'pivot');
    for (const [target, fstype] of [
      ['/proc', 'proc'], ['/dev', 'tmpfs'], ['/dev/pts', 'devpts'], ['/sys', 'sysfs'], ['/sys/fs/cgroup', 'tmpfs'],
      ['/sys/fs/cgroup/memory', 'cgroup'], ['/dev/mqueue', 'mqueue'], ['/dev/shm', 'tmpfs'], ['/mytmp', 'tmpfs'],
    ] as const) {
      const i = indexOf(ops, (o) => o.op === 'mount' && o.target === target);
      assert.ok(i >= 0 && i < pivot, `${target} mounted before pivot`);
      assert.equal(mountAt(ops, target)?.fstype, fstype);
    }
    assert.ok((mountAt(ops, '/sys')?.flags ?? 0) & MS.RDONLY, 'sysfs read-only');
    assert.deepEqual(find(ops, 'remount'), [{ op: 'remount', target: '/sys/fs/cgroup', flags: MS.RDONLY }]);
    assert.match(mountAt(ops, '/dev/pts')?.data ?? '', /newinstance/);
    assert.deepEqual(mountAt(ops, '/mytmp'), { op: 'mount', source: 'tmpfs', target: '/mytmp', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV, data: 'mode=1777' });
  });

  test('the usual device nodes, mode 0666, once every mount is made (the checked mknod), and the /dev symlinks', () => {
    const nodes = find(ops, 'mknod').map((n) => `${n.path} ${n.major}:${n.minor} ${n.mode.toString(8)}`);
    assert.deepEqual(nodes, ['/dev/null 1:3 20666', '/dev/zero 1:5 20666', '/dev/full 1:7 20666', '/dev/random 1:8 20666', '/dev/urandom 1:9 20666', '/dev/tty 5:0 20666']);
    assert.ok(names(ops).indexOf('mknod') > names(ops).lastIndexOf('mount'));
    const links = Object.fromEntries(find(ops, 'symlink').map((s) => [s.path, s.target]));
    assert.equal(links['/dev/fd'], '/proc/self/fd');
    assert.equal(links['/dev/stdin'], '/proc/self/fd/0');
    assert.equal(links['/dev/ptmx'], 'pts/ptmx');
  });

  test('Docker\'s masked and read-only paths after pivot_root', () => {
    assert.deepEqual(find(ops, 'mask').map((m) => m.path), MASKED_PATHS);
    assert.deepEqual(find(ops, 'readonly').map((m) => m.path), READONLY_PATHS);
    assert.ok(indexOf(ops, (o) => o.op === 'mask') > indexOf(ops, (o) => o.op === 'pivot'));
  });

  test('the process: setsid, the working directory and the default filter, capabilities without CAP_MKNOD, env, args, exec', () => {
    const caps = capabilityMask(JAIL_CAPS);
    assert.equal(caps, 'a00425fb');
    const all = names(ops);
    assert.deepEqual(all.slice(all.indexOf('hostname')), ['hostname', 'umask', 'setsid', 'cwd', 'seccomp', 'bounding', 'caps', 'env', 'env', 'env', 'arg', 'exec']);
    assert.deepEqual(find(ops, 'bounding'), [{ op: 'bounding', keep: caps }]);
    assert.deepEqual(find(ops, 'caps'), [{ op: 'caps', effective: caps, permitted: caps, inheritable: '0', ambient: '0' }]);
    assert.equal(find(ops, 'seccomp')[0]?.program, compileSeccomp(defaultSeccompProfile(JAIL_CAPS)).program);
    assert.deepEqual(find(ops, 'arg').map((a) => a.value), ['sh']);
  });

  test('umask 0 for setup, 022 for the command; no read-only remount of / unless asked', () => {
    assert.deepEqual(find(ops, 'umask').map((u) => u.mask), [0, 0o22]);
    assert.ok(indexOf(ops, (o) => o.op === 'umask' && o.mask === 0o22) > indexOf(ops, (o) => o.op === 'pivot'));
    assert.ok(!find(ops, 'remount').some((r) => r.target === '/'));
  });
});

describe('the jail\'s options', () => {
  test('a working directory is made in the jail, as Docker does, but not on the host', () => {
    assert.ok(find(plan({ rootfs: '/r', cwd: '/work/dir' }), 'mkdir').some((m) => m.path === '/work/dir'));
    assert.ok(!find(plan({ cwd: '/work/dir' }), 'mkdir').some((m) => m.path === '/work/dir'));
  });

  test('--read-only remounts / read-only after pivot_root', () => {
    const ops = plan({ rootfs: '/r', readOnly: true });
    const i = indexOf(ops, (o) => o.op === 'remount' && o.target === '/');
    assert.deepEqual(ops[i], { op: 'remount', target: '/', flags: MS.RDONLY });
    assert.ok(i > indexOf(ops, (o) => o.op === 'pivot'));
  });

  test('a tty gets a pty and /dev/console in the jail, instead of setsid; stdin only with interactive', () => {
    const ops = plan({ rootfs: '/r', tty: true, interactive: true });
    assert.deepEqual(find(ops, 'tty'), [{ op: 'tty', interactive: true }]);
    assert.deepEqual(find(ops, 'pty'), [{ op: 'pty', console: '/dev/console' }]);
    assert.ok(find(ops, 'touch').some((t) => t.path === '/dev/console'));
    assert.equal(find(ops, 'setsid').length, 0);
    assert.ok(indexOf(ops, (o) => o.op === 'pty') > indexOf(ops, (o) => o.op === 'pivot'));
    assert.deepEqual(find(plan({ rootfs: '/r', tty: true }), 'tty'), [{ op: 'tty', interactive: false }]);
  });

  test('a user switches after the bounding set is dropped and before capabilities are set; root needs no user step', () => {
    const ops = plan({ rootfs: '/r', user: { uid: 1000, gid: 100, additionalGids: [5, 6] } });
    assert.deepEqual(names(ops).filter((n) => ['bounding', 'user', 'caps'].includes(n)), ['bounding', 'user', 'caps']);
    assert.deepEqual(find(ops, 'user'), [{ op: 'user', uid: 1000, gid: 100, groups: [5, 6] }]);
    assert.equal(find(plan({ rootfs: '/r' }), 'user').length, 0);
  });

  test('--init, --debug and --hostname become settings and a step; the hostname defaults to containerhostname', () => {
    const ops = plan({ rootfs: '/r', init: true, hostname: 'josh' }, true);
    assert.ok(names(ops).includes('init'));
    assert.ok(names(ops).includes('debug'));
    assert.deepEqual(find(ops, 'hostname'), [{ op: 'hostname', name: 'josh' }]);
    assert.deepEqual(find(plan({}), 'hostname'), [{ op: 'hostname', name: 'containerhostname' }]);
  });

  test('an overlay is mounted on the rootfs in place of the bind, inside the container\'s mount namespace', () => {
    const overlay = { lower: ['/s/l2/diff', '/s/l1/diff'], upper: '/s/c/diff', work: '/s/c/work' };
    const ops = plan({ rootfs: '/s/c/merged', overlay });
    assert.deepEqual(find(ops, 'mount_host'), [{ op: 'mount_host', source: 'overlay', target: '/s/c/merged', fstype: 'overlay', flags: 0, data: 'lowerdir=/s/l2/diff:/s/l1/diff,upperdir=/s/c/diff,workdir=/s/c/work' }]);
    assert.ok(indexOf(ops, (o) => o.op === 'propagation') < indexOf(ops, (o) => o.op === 'mount_host'), 'never visible on the host');
    const many = Array.from({ length: 60 }, (_, i) => `/var/lib/moby-dick/layers/${String(i).padStart(64, '0')}/diff`);
    assert.throws(() => plan({ rootfs: '/m', overlay: { ...overlay, lower: many } }), /too many layers to mount \(60/);
  });
});

describe('the host view\'s plan (the original form)', () => {
  const ops = plan({});

  test('the original namespaces in clone, no cgroup sync, no filter, all capabilities, no masks, no devices', () => {
    assert.deepEqual(ops[0], { op: 'clone', flags: NS.mount + NS.uts + NS.ipc + NS.pid + NS.network + NS.cgroup });
    for (const n of ['sync', 'unshare', 'seccomp', 'bounding', 'caps', 'mask', 'readonly', 'mknod', 'propagate_up'] as const) assert.equal(find(ops, n).length, 0, n);
  });

  test('clones every host directory and file except /proc, before staging a tmpfs over /tmp', () => {
    assert.deepEqual(find(ops, 'tree_clone').map((t) => t.source), ['/etc', '/tmp', '/usr', '/.dockerenv']);
    assert.deepEqual(find(ops, 'mount_host'), [{ op: 'mount_host', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, data: 'mode=755' }]);
    assert.ok(indexOf(ops, (o) => o.op === 'tree_clone' && o.source === '/tmp') < indexOf(ops, (o) => o.op === 'mount_host'));
    assert.deepEqual(find(ops, 'setroot'), [{ op: 'setroot', path: '/tmp' }]);
  });

  test('attaches each clone at its own name, to a directory or a file', () => {
    assert.deepEqual(find(ops, 'tree_attach').map((a) => `${a.slot}:${a.target}`), ['0:/etc', '1:/tmp', '2:/usr', '3:/.dockerenv']);
    assert.ok(find(ops, 'touch').some((t) => t.path === '/.dockerenv'));
    assert.ok(find(ops, 'mkdir').some((t) => t.path === '/usr'));
  });

  test('recreates top-level symlinks, then a fresh /proc and /mytmp, then pivot_root and the hostname', () => {
    assert.deepEqual(find(ops, 'symlink'), [{ op: 'symlink', target: 'usr/bin', path: '/bin' }]);
    assert.equal(mountAt(ops, '/proc')?.fstype, 'proc');
    assert.equal(mountAt(ops, '/mytmp')?.fstype, 'tmpfs');
    const all = names(ops);
    assert.deepEqual(all.slice(all.indexOf('pivot')), ['pivot', 'hostname', 'umask', 'setsid', 'cwd', 'env', 'env', 'env', 'arg', 'exec']);
  });

  test('the pty has no console to bind; a list of capabilities is kept, inheritable too', () => {
    assert.deepEqual(find(plan({ tty: true }), 'pty'), [{ op: 'pty', console: '' }]);
    assert.ok(!find(plan({ tty: true }), 'touch').some((t) => t.path === '/dev/console'));
    const mask = capabilityMask(['CAP_CHOWN', 'CAP_KILL']);
    assert.deepEqual(find(plan({ capabilities: ['CAP_CHOWN', 'CAP_KILL'] }), 'caps'), [{ op: 'caps', effective: mask, permitted: mask, inheritable: mask, ambient: '0' }]);
  });

  test('skips a host /mytmp instead of cloning it; refuses a host root without any directory', () => {
    assert.ok(!find(plan({}, false, [...HOST_ROOT, { name: 'mytmp', kind: 'dir' }]), 'tree_clone').some((t) => t.source === '/mytmp'));
    assert.throws(() => plan({}, false, []), /no directory to stage/);
  });
});

describe('needsSealedHelper', () => {
  test('only when the helper stays in the container as its init', () => {
    assert.equal(needsSealedHelper(resolved({ init: true })), true);
    assert.equal(needsSealedHelper(resolved({ rootfs: '/r' })), false);
  });
});
