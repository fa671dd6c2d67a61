import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capabilityMask, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { MS } from '../linux/mount-flags.js';
import { type ContainerConfig, resolveConfig } from './config.js';
import type { Op, OpName } from './plan.js';
import { MASKED_PATHS, READONLY_PATHS } from '../spec/defaults.js';
import { compilePlan, type HostRootEntry, needsSealedHelper } from './plan-compiler.js';

const HOST: HostRootEntry[] = [
  { name: 'bin', kind: 'symlink', target: 'usr/bin' },
  { name: 'etc', kind: 'dir' },
  { name: 'proc', kind: 'dir' },
  { name: 'tmp', kind: 'dir' },
  { name: 'usr', kind: 'dir' },
  { name: '.dockerenv', kind: 'file' },
  { name: 'sock', kind: 'other' },
];

function plan(config: Partial<ContainerConfig>, debug = false): Op[] {
  return [...compilePlan(resolveConfig({ command: ['sh'], ...config }), { hostRoot: HOST, debug })];
}

const names = (ops: Op[]): OpName[] => ops.map((o) => o.op);
const indexOf = (ops: Op[], pred: (o: Op) => boolean): number => ops.findIndex(pred);
const find = <K extends OpName>(ops: Op[], name: K): Extract<Op, { op: K }>[] =>
  ops.filter((o): o is Extract<Op, { op: K }> => o.op === name);
const mountAt = (ops: Op[], target: string) =>
  find(ops, 'mount').find((m) => m.target === target);

describe('compilePlan: an overlay root (images)', () => {
  const overlay = { lower: ['/s/l2/diff', '/s/l1/diff'], upper: '/s/c/diff', work: '/s/c/work' };

  test('the overlay is mounted on the rootfs in place of the bind, then becomes the root', () => {
    const ops = plan({ rootfs: '/s/c/merged', overlay });
    const root = find(ops, 'mount_host');
    assert.deepEqual(root, [{ op: 'mount_host', source: 'overlay', target: '/s/c/merged', fstype: 'overlay', flags: 0, data: 'lowerdir=/s/l2/diff:/s/l1/diff,upperdir=/s/c/diff,workdir=/s/c/work' }]);
    assert.ok(indexOf(ops, (o) => o.op === 'mount_host') < indexOf(ops, (o) => o.op === 'setroot'));
    assert.ok(indexOf(ops, (o) => o.op === 'propagation') < indexOf(ops, (o) => o.op === 'mount_host'), 'never visible on the host');
  });

  test('more layers than one page of mount options is a clear error', () => {
    const many = Array.from({ length: 60 }, (_, i) => `/var/lib/moby-dick/layers/${String(i).padStart(64, '0')}/diff`);
    assert.throws(() => plan({ rootfs: '/m', overlay: { ...overlay, lower: many } }), /too many layers to mount \(60/);
  });
});

describe('compilePlan: the jail (--rootfs)', () => {
  const ops = plan({ rootfs: '/srv/root' });

  test('starts with the namespaces of the original moby-dick', () => {
    const clone = find(ops, 'clone')[0];
    // mount | uts | ipc | pid | net | cgroup
    assert.equal(clone?.flags, 0x00020000 + 0x04000000 + 0x08000000 + 0x20000000 + 0x40000000 + 0x02000000);
    assert.equal(ops[0]?.op, 'clone');
  });

  test('makes mounts rslave before anything is mounted', () => {
    const prop = indexOf(ops, (o) => o.op === 'propagation');
    assert.ok(prop >= 0 && prop < indexOf(ops, (o) => o.op === 'mount_host'));
    assert.equal(find(ops, 'propagation')[0]?.flags, MS.SLAVE | MS.REC);
  });

  test('binds the rootfs onto itself and uses it as the root', () => {
    assert.deepEqual(find(ops, 'mount_host')[0], {
      op: 'mount_host', source: '/srv/root', target: '/srv/root', fstype: '', flags: MS.BIND | MS.REC, data: '',
    });
    assert.deepEqual(find(ops, 'setroot'), [{ op: 'setroot', path: '/srv/root' }]);
  });

  test('mounts proc, a tmpfs /dev, devpts, shm, mqueue, read-only sysfs and /mytmp before pivot_root', () => {
    const pivot = indexOf(ops, (o) => o.op === 'pivot');
    for (const [target, fstype] of [
      ['/proc', 'proc'], ['/dev', 'tmpfs'], ['/dev/pts', 'devpts'], ['/dev/shm', 'tmpfs'],
      ['/dev/mqueue', 'mqueue'], ['/sys', 'sysfs'], ['/mytmp', 'tmpfs'],
    ] as const) {
      const i = indexOf(ops, (o) => o.op === 'mount' && o.target === target);
      assert.ok(i >= 0 && i < pivot, `${target} mounted before pivot`);
      assert.equal(mountAt(ops, target)?.fstype, fstype);
    }
    assert.ok((mountAt(ops, '/sys')?.flags ?? 0) & MS.RDONLY, 'sysfs read-only');
    assert.match(mountAt(ops, '/dev/pts')?.data ?? '', /newinstance/);
  });

  test('creates the usual device nodes with mode 0666 and the /dev symlinks', () => {
    const nodes = find(ops, 'mknod').map((n) => `${n.path} ${n.major}:${n.minor} ${n.mode.toString(8)}`);
    assert.deepEqual(nodes, [
      '/dev/null 1:3 20666', '/dev/zero 1:5 20666', '/dev/full 1:7 20666',
      '/dev/random 1:8 20666', '/dev/urandom 1:9 20666', '/dev/tty 5:0 20666',
    ]);
    const links = Object.fromEntries(find(ops, 'symlink').map((s) => [s.path, s.target]));
    assert.equal(links['/dev/fd'], '/proc/self/fd');
    assert.equal(links['/dev/stdin'], '/proc/self/fd/0');
    assert.equal(links['/dev/ptmx'], 'pts/ptmx');
  });

  test('masks and write-protects Docker\'s /proc and /sys paths after pivot_root', () => {
    const pivot = indexOf(ops, (o) => o.op === 'pivot');
    assert.deepEqual(find(ops, 'mask').map((m) => m.path), MASKED_PATHS);
    assert.deepEqual(find(ops, 'readonly').map((m) => m.path), READONLY_PATHS);
    assert.ok(indexOf(ops, (o) => o.op === 'mask') > pivot);
  });

  test('drops to Docker\'s capabilities without CAP_MKNOD', () => {
    const expected = capabilityMask(DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD'));
    assert.equal(expected, 'a00425fb');
    assert.deepEqual(find(ops, 'bounding'), [{ op: 'bounding', keep: expected }]);
    assert.deepEqual(find(ops, 'caps'), [
      { op: 'caps', effective: expected, permitted: expected, inheritable: expected, ambient: '0' },
    ]);
  });

  test('ends with the process: setsid, cwd, env, args, exec last', () => {
    const all = names(ops);
    assert.deepEqual(all.slice(all.indexOf('setsid')), ['setsid', 'bounding', 'caps', 'cwd', 'env', 'env', 'env', 'arg', 'exec']);
    assert.deepEqual(find(ops, 'arg').map((a) => a.value), ['sh']);
  });

  test('keeps umask 0 for setup and gives the command 022', () => {
    const umasks = find(ops, 'umask').map((u) => u.mask);
    assert.deepEqual(umasks, [0, 0o22]);
    assert.ok(indexOf(ops, (o) => o.op === 'umask' && o.mask === 0o22) > indexOf(ops, (o) => o.op === 'pivot'));
  });

  test('has no read-only remount unless asked', () => {
    assert.equal(find(ops, 'remount').length, 0);
  });
});

describe('compilePlan: options', () => {
  test('a working directory is created in the jail, as Docker does, but not on the host', () => {
    assert.ok(find(plan({ rootfs: '/r', cwd: '/work/dir' }), 'mkdir').some((m) => m.path === '/work/dir'));
    assert.ok(!find(plan({ cwd: '/work/dir' }), 'mkdir').some((m) => m.path === '/work/dir'));
  });

  test('--read-only remounts / read-only after pivot_root', () => {
    const ops = plan({ rootfs: '/r', readOnly: true });
    const i = indexOf(ops, (o) => o.op === 'remount');
    assert.deepEqual(ops[i], { op: 'remount', target: '/', flags: MS.RDONLY });
    assert.ok(i > indexOf(ops, (o) => o.op === 'pivot'));
  });

  test('a tty gets a pty and /dev/console inside the jail, instead of setsid', () => {
    const ops = plan({ rootfs: '/r', tty: true, interactive: true });
    assert.deepEqual(find(ops, 'tty'), [{ op: 'tty', interactive: true }]);
    assert.deepEqual(find(ops, 'pty'), [{ op: 'pty', console: '/dev/console' }]);
    assert.ok(find(ops, 'touch').some((t) => t.path === '/dev/console'));
    assert.equal(find(ops, 'setsid').length, 0);
    assert.ok(indexOf(ops, (o) => o.op === 'pty') > indexOf(ops, (o) => o.op === 'pivot'));
  });

  test('the host view\'s pty has no console to bind', () => {
    assert.deepEqual(find(plan({ tty: true }), 'pty'), [{ op: 'pty', console: '' }]);
  });

  test('a user switches after the bounding set is dropped and before capabilities are set', () => {
    const ops = plan({ rootfs: '/r', user: { uid: 1000, gid: 100, additionalGids: [5, 6] } });
    const order = names(ops).filter((n) => n === 'bounding' || n === 'user' || n === 'caps' || n === 'cwd');
    assert.deepEqual(order, ['bounding', 'user', 'caps', 'cwd']);
    assert.deepEqual(find(ops, 'user'), [{ op: 'user', uid: 1000, gid: 100, groups: [5, 6] }]);
  });

  test('root needs no user step', () => {
    assert.equal(find(plan({ rootfs: '/r' }), 'user').length, 0);
  });

  test('--init, --debug and --hostname become settings and a step', () => {
    const ops = plan({ init: true, hostname: 'josh' }, true);
    assert.ok(names(ops).includes('init'));
    assert.ok(names(ops).includes('debug'));
    assert.deepEqual(find(ops, 'hostname'), [{ op: 'hostname', name: 'josh' }]);
  });

  test('the hostname defaults to containerhostname', () => {
    assert.deepEqual(find(plan({}), 'hostname'), [{ op: 'hostname', name: 'containerhostname' }]);
  });
});

describe('compilePlan: the host view (no rootfs)', () => {
  const ops = plan({});

  test('clones every host directory and file except /proc, before staging a tmpfs over /tmp', () => {
    assert.deepEqual(find(ops, 'tree_clone').map((t) => t.source), ['/etc', '/tmp', '/usr', '/.dockerenv']);
    const staging = find(ops, 'mount_host')[0];
    assert.deepEqual(staging, { op: 'mount_host', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, data: 'mode=755' });
    assert.ok(indexOf(ops, (o) => o.op === 'tree_clone' && o.source === '/tmp') < indexOf(ops, (o) => o.op === 'mount_host'));
    assert.deepEqual(find(ops, 'setroot'), [{ op: 'setroot', path: '/tmp' }]);
  });

  test('attaches each clone at its own name, to a directory or a file', () => {
    const attach = find(ops, 'tree_attach').map((a) => `${a.slot}:${a.target}`);
    assert.deepEqual(attach, ['0:/etc', '1:/tmp', '2:/usr', '3:/.dockerenv']);
    assert.ok(find(ops, 'touch').some((t) => t.path === '/.dockerenv'));
    assert.ok(find(ops, 'mkdir').some((t) => t.path === '/usr'));
  });

  test('recreates top-level symlinks and mounts a fresh /proc and /mytmp', () => {
    assert.deepEqual(find(ops, 'symlink'), [{ op: 'symlink', target: 'usr/bin', path: '/bin' }]);
    assert.equal(mountAt(ops, '/proc')?.fstype, 'proc');
    assert.equal(mountAt(ops, '/mytmp')?.fstype, 'tmpfs');
  });

  test('keeps all capabilities, masks nothing, and has no device setup', () => {
    for (const n of ['bounding', 'caps', 'mask', 'readonly', 'mknod'] as const) assert.equal(find(ops, n).length, 0, n);
  });

  test('skips a host /mytmp instead of cloning it', () => {
    const withMytmp = [...compilePlan(resolveConfig({ command: ['sh'] }), {
      hostRoot: [...HOST, { name: 'mytmp', kind: 'dir' }],
    })];
    assert.ok(!find(withMytmp, 'tree_clone').some((t) => t.source === '/mytmp'));
  });

  test('refuses a host root without any directory', () => {
    assert.throws(() => compilePlan(resolveConfig({ command: ['sh'] }), { hostRoot: [] }), /no directory to stage/);
  });
});

describe('needsSealedHelper', () => {
  test('only when the helper stays in the container as its init', () => {
    assert.equal(needsSealedHelper(resolveConfig({ command: ['sh'], init: true })), true);
    assert.equal(needsSealedHelper(resolveConfig({ command: ['sh'], rootfs: '/r' })), false);
  });
});
