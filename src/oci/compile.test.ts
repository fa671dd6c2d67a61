import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MS } from '../linux/mount-flags.js';
import { NAMESPACE_FLAGS } from '../linux/namespaces.js';
import type { Op, OpName } from '../helper/plan.js';
import { compileOciPlan, type HostFacts, type OciCompileOptions, overlayData } from './compile.js';
import { defaultSpec } from '../spec/default-spec.js';
import { compileExecPlan } from './exec-plan.js';
import type { Spec } from '../spec/schema.js';
import { refuseUnsupported } from './unsupported.js';

const host: HostFacts = {
  kindOf: (p) => (p.endsWith('.txt') ? 'file' : p.includes('missing') ? null : 'dir'),
  cgroupV1: [{ name: 'memory', options: 'memory' }, { name: 'unified', options: '' }],
  cgroupV2Only: false,
};

function spec(change: (s: Spec) => void = () => {}): Spec {
  const s = structuredClone(defaultSpec());
  change(s);
  return s;
}

function compile(s: Spec, o: Partial<OciCompileOptions> = {}): Op[] {
  return compileOciPlan(s, { bundle: '/b', detach: false, syncCgroup: false, host, ...o });
}

const find = <K extends OpName>(ops: Op[], name: K): Extract<Op, { op: K }>[] =>
  ops.filter((o): o is Extract<Op, { op: K }> => o.op === name);
const at = (ops: Op[], pred: (o: Op) => boolean): number => ops.findIndex(pred);

describe('compileOciPlan', () => {
  test('new namespaces become clone flags; the root is the bundle\'s rootfs', () => {
    const ops = compile(spec());
    const n = NAMESPACE_FLAGS;
    assert.deepEqual(ops[0], { op: 'clone', flags: n.pid + n.network + n.ipc + n.uts + n.mount + n.cgroup });
    assert.deepEqual(find(ops, 'mount_host')[0]?.source, '/b/rootfs');
    assert.deepEqual(find(ops, 'setroot'), [{ op: 'setroot', path: '/b/rootfs' }]);
  });

  test("shmFrom (--ipc container:NAME): the other namespace's /dev/shm cloned and attached after the spec's mounts, before pivot_root", () => {
    const ops = compile(spec(), { shmFrom: '/proc/42/ns/mnt' });
    const clone = at(ops, (o) => o.op === 'shm_clone');
    assert.deepEqual(ops[clone], { op: 'shm_clone', nsPath: '/proc/42/ns/mnt', slot: 0 });
    assert.deepEqual(ops[clone - 1], { op: 'mkdir', path: '/dev/shm', mode: 0o1777 });
    assert.deepEqual(ops[clone + 1], { op: 'tree_attach', slot: 0, target: '/dev/shm' });
    // after /dev is mounted, before the root is entered
    assert.ok(at(ops, (o) => o.op === 'mount' && o.target === '/dev') < clone);
    assert.ok(clone < at(ops, (o) => o.op === 'pivot'));
    assert.equal(find(compile(spec()), 'shm_clone').length, 0);
  });

  test('init (--init): one init setting among the settings after clone, and none without it', () => {
    const ops = compile(spec(), { init: true, fifo: '/state/exec.fifo' });
    assert.equal(find(ops, 'init').length, 1);
    assert.ok(at(ops, (o) => o.op === 'init') < at(ops, (o) => o.op === 'fifo_open'), 'a setting, before the steps');
    assert.equal(find(compile(spec()), 'init').length, 0);
  });

  test('namespaces with a path are joined: pid before clone, mount last', () => {
    const ops = compile(
      spec((s) => {
        s.linux!.namespaces = [
          { type: 'mount' }, { type: 'pid', path: '/proc/9/ns/pid' }, { type: 'network', path: '/var/run/netns/x' },
          { type: 'ipc', path: '/proc/9/ns/ipc' },
        ];
        s.hostname = undefined;
      }),
    );
    assert.deepEqual(ops[0], { op: 'clone', flags: NAMESPACE_FLAGS.mount });
    assert.deepEqual(find(ops, 'join_pid'), [{ op: 'join_pid', path: '/proc/9/ns/pid' }]);
    assert.deepEqual(find(ops, 'setns').map((s) => s.path), ['/var/run/netns/x', '/proc/9/ns/ipc']);
  });

  test('the spec\'s mounts in order, with flags and data from their options', () => {
    const ops = compile(spec());
    const mounts = find(ops, 'mount').map((m) => m.target);
    assert.deepEqual(mounts.slice(0, 6), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']);
    const dev = find(ops, 'mount').find((m) => m.target === '/dev');
    assert.deepEqual(dev, { op: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k' });
    assert.equal(find(ops, 'mount').find((m) => m.target === '/sys')?.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  });

  test('cgroup mounts: a tmpfs with each v1 hierarchy of the container\'s cgroup namespace, read-only', () => {
    const ops = compile(spec());
    const cg = find(ops, 'mount').filter((m) => m.target.startsWith('/sys/fs/cgroup'));
    assert.deepEqual(cg.map((m) => `${m.target} ${m.fstype} ${m.data}`), [
      '/sys/fs/cgroup tmpfs mode=755', '/sys/fs/cgroup/memory cgroup memory', '/sys/fs/cgroup/unified cgroup2 ',
    ]);
    assert.ok(find(ops, 'remount').some((r) => r.target === '/sys/fs/cgroup' && r.flags === MS.RDONLY));
    const v2 = compileOciPlan(spec(), { bundle: '/b', detach: false, syncCgroup: false, host: { ...host, cgroupV2Only: true } });
    assert.deepEqual(find(v2, 'mount').filter((m) => m.target === '/sys/fs/cgroup').map((m) => m.fstype), ['cgroup2']);
  });

  test('without a cgroup namespace of its own, the container\'s v1 cgroup directories are bound in', () => {
    const ops = compile(spec((s) => void (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup'))), { cgroupPath: '/docker/abc' });
    assert.ok(find(ops, 'mount').some((m) => m.source === '/sys/fs/cgroup/memory/docker/abc' && m.target === '/sys/fs/cgroup/memory' && m.flags === (MS.BIND | MS.REC)));
    assert.ok(!find(ops, 'mount').some((m) => m.fstype === 'cgroup'));
  });

  test('bind mounts: a directory or a file target by the source, ro by remount, propagation apart', () => {
    const ops = compile(
      spec((s) => {
        s.mounts = [
          { destination: '/data', source: 'data', type: 'bind', options: ['rbind', 'ro', 'nosuid', 'rprivate'] },
          { destination: '/etc/x.txt', source: '/host/x.txt', options: ['bind'] },
        ];
      }),
    );
    assert.ok(find(ops, 'mkdir').some((m) => m.path === '/data'));
    assert.ok(find(ops, 'touch').some((m) => m.path === '/etc/x.txt'));
    const binds = find(ops, 'mount').map((m) => `${m.source}>${m.target} ${m.flags}`);
    assert.deepEqual(binds, [`/b/data>/data ${MS.BIND | MS.REC}`, `/host/x.txt>/etc/x.txt ${MS.BIND}`]);
    assert.deepEqual(find(ops, 'remount').filter((r) => r.target === '/data'), [{ op: 'remount', target: '/data', flags: MS.RDONLY | MS.NOSUID }]);
    assert.deepEqual(find(ops, 'propagate'), [{ op: 'propagate', target: '/data', flags: MS.PRIVATE | MS.REC }]);
  });

  test('a file target\'s missing directories are made first, as runc does (Podman binds /run/.containerenv)', () => {
    const ops = compile(
      spec((s) => {
        s.mounts = [{ destination: '/run/secrets/.containerenv.txt', source: '/host/e.txt', options: ['bind'] }];
        s.linux!.devices = [{ type: 'c', path: '/dev/net/tun', major: 10, minor: 200 }, { type: 'c', path: '/dev/cpu/0/cpuid', major: 203, minor: 0 }];
      }),
    );
    const nested = ['/dev/cpu', '/dev/cpu/0'].map((p) => at(ops, (o) => o.op === 'mkdir' && o.path === p));
    assert.ok(nested[0]! >= 0 && nested[0]! < nested[1]! && nested[1]! < at(ops, (o) => o.op === 'mknod' && o.path === '/dev/cpu/0/cpuid'), 'every missing level, outermost first');
    const made = at(ops, (o) => o.op === 'mkdir' && o.path === '/run/secrets');
    const touched = at(ops, (o) => o.op === 'touch' && o.path === '/run/secrets/.containerenv.txt');
    assert.ok(made >= 0 && made < touched, 'mkdir of the directory before the touch');
    const dir = at(ops, (o) => o.op === 'mkdir' && o.path === '/dev/net');
    assert.ok(dir >= 0 && dir < at(ops, (o) => o.op === 'mknod' && o.path === '/dev/net/tun'), 'mkdir /dev/net before the mknod');
    assert.ok(!find(ops, 'mkdir').some((m) => m.path === '/'), 'no mkdir of /');
  });

  test('a bind source that does not exist is refused with its path', () => {
    assert.throws(() => compile(spec((s) => void (s.mounts = [{ destination: '/d', source: '/missing', options: ['bind'] }]))), /mounts\[0\]\.source: \/missing does not exist/);
  });

  test('runc\'s default devices and the spec\'s, with owners; a fifo; /dev symlinks', () => {
    const ops = compile(spec((s) => void (s.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o600, uid: 5, gid: 6 }, { type: 'p', path: '/dev/myfifo' }])));
    const nodes = find(ops, 'mknod').map((n) => `${n.path} ${n.mode.toString(8)}`);
    assert.deepEqual(nodes, ['/dev/null 20666', '/dev/zero 20666', '/dev/full 20666', '/dev/random 20666', '/dev/urandom 20666', '/dev/tty 20666', '/dev/fuse 20600', '/dev/myfifo 10666']);
    assert.deepEqual(find(ops, 'chown'), [{ op: 'chown', path: '/dev/fuse', uid: 5, gid: 6 }]);
    assert.ok(find(ops, 'symlink').some((l) => l.path === '/dev/ptmx'));
  });

  test('sysctl names, dotted or as paths, become their /proc/sys path (a dot of an interface name kept)', () => {
    const ops = compile(spec((s) => void (s.linux!.sysctl = { 'net.ipv4.conf.eth0/100.forwarding': '1', 'net/ipv4/conf/eth0.100/rp_filter': '2', 'net.ipv4.ip_forward': '1' })));
    assert.deepEqual(find(ops, 'procwrite').map((w) => w.path), ['sys/net/ipv4/conf/eth0.100/forwarding', 'sys/net/ipv4/conf/eth0.100/rp_filter', 'sys/net/ipv4/ip_forward']);
  });

  test('/dev: the default devices in a tmpfs or in the root\'s own /dev; none but the spec\'s in a bind (runc\'s rule)', () => {
    const noDev = (s: Spec): void => void (s.mounts = s.mounts!.filter((m) => !m.destination.startsWith('/dev')));
    const names = (ops: Op[]): string[] => find(ops, 'mknod').map((n) => n.path);
    const defaults = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'];
    assert.deepEqual(names(compile(spec())), defaults);
    const own = compile(spec(noDev));
    assert.deepEqual(names(own), defaults, 'no /dev mount: made in the root\'s /dev');
    assert.ok(find(own, 'symlink').some((l) => l.path === '/dev/fd'));
    const bound = (s: Spec): void => {
      noDev(s);
      s.mounts!.push({ destination: '/dev/', source: '/host/dev', options: ['rbind'] });
    };
    const bind = compile(spec(bound));
    assert.deepEqual(names(bind), [], 'a bind over /dev is the caller\'s own');
    assert.equal(find(bind, 'symlink').length, 0);
    assert.equal(find(compile(spec((s) => void (bound(s), (s.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }])))), 'mknod').at(-1)?.path, '/dev/fuse');
    // masked files are covered by the container's /dev/null, which the helper checks (rootfs.c): one step each
    assert.ok(find(bind, 'mask').some((m) => m.path === '/proc/keys'));
  });

  test('seccomp without no_new_privs: the working directory first, then the filter, before the user and capabilities', () => {
    const seccomp = { flags: 0, program: '00', instructions: 1 };
    const order = (nnp: boolean): string[] =>
      compile(spec((s) => void (s.process!.noNewPrivileges = nnp)), { seccomp, fifo: '/f' })
        .map((o) => o.op)
        .filter((n) => ['seccomp', 'bounding', 'caps', 'cwd', 'fifo_wait', 'exec'].includes(n));
    assert.deepEqual(order(false), ['cwd', 'seccomp', 'bounding', 'caps', 'fifo_wait', 'exec']);
    assert.deepEqual(order(true), ['bounding', 'caps', 'cwd', 'fifo_wait', 'seccomp', 'exec'], 'as late as possible');
  });

  test('after pivot_root: sysctls, masked paths, read-only paths, then a read-only root', () => {
    const ops = compile(spec((s) => void (s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' })));
    const pivot = at(ops, (o) => o.op === 'pivot');
    const sysctl = at(ops, (o) => o.op === 'procwrite');
    assert.deepEqual(ops[sysctl], { op: 'procwrite', path: 'sys/net/ipv4/ip_forward', value: '1' });
    assert.ok(pivot < sysctl && sysctl < at(ops, (o) => o.op === 'mask'));
    assert.ok(at(ops, (o) => o.op === 'readonly') < at(ops, (o) => o.op === 'remount' && o.target === '/'));
    assert.throws(() => compile(spec((s) => void (s.linux!.sysctl = { '../../etc/x': '1' }))), /not a sysctl name/);
  });

  test('the process: rlimits, capabilities sets, no_new_privs, user, cwd, env, args', () => {
    const ops = compile(spec((s) => {
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o077 };
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 18446744073709552000 }];
      s.process!.oomScoreAdj = 500;
    }));
    assert.deepEqual(find(ops, 'rlimit'), [{ op: 'rlimit', resource: 7, soft: '100', hard: 'unlimited' }]);
    assert.deepEqual(find(ops, 'procwrite').at(-1), { op: 'procwrite', path: 'self/oom_score_adj', value: '500' });
    assert.deepEqual(find(ops, 'umask').at(-1), { op: 'umask', mask: 0o077 });
    // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
    assert.deepEqual(find(ops, 'bounding'), [{ op: 'bounding', keep: (2 ** 29 + 2 ** 5 + 2 ** 10).toString(16) }]);
    assert.deepEqual(find(ops, 'user'), [{ op: 'user', uid: 1000, gid: 1000, groups: [10] }]);
    assert.equal(find(ops, 'nonewprivs').length, 1);
    const order = ops.map((o) => o.op).filter((n) => ['rlimit', 'bounding', 'user', 'caps', 'nonewprivs', 'cwd', 'exec'].includes(n));
    assert.deepEqual(order, ['rlimit', 'bounding', 'user', 'caps', 'nonewprivs', 'cwd', 'exec']);
  });

  test('without a capabilities object the process keeps its capabilities, as with runc', () => {
    const ops = compile(spec((s) => void (s.process!.capabilities = undefined)));
    assert.equal(find(ops, 'bounding').length + find(ops, 'caps').length, 0);
  });

  test('user namespaces: clone makes it, the engine maps it first, then this process is root in it; devices are bound', () => {
    const ops = compile(spec((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 10 }];
    }), { fifo: '/run/x/exec.fifo', cgroupPath: '/c/1' });
    assert.ok(((ops[0] as { flags: number }).flags & NAMESPACE_FLAGS.user) !== 0);
    const sync = at(ops, (o) => o.op === 'sync' && o.name === 'userns');
    assert.ok(at(ops, (o) => o.op === 'fifo_open') < sync, 'the fifo is opened while still host root');
    assert.deepEqual(ops[sync + 1], { op: 'user', uid: 0, gid: 0, groups: [] });
    assert.equal(find(ops, 'mknod').length, 0);
    assert.deepEqual(find(ops, 'bind_device').find((m) => m.target === '/dev/null'), { op: 'bind_device', source: '/dev/null', target: '/dev/null' });
    // the engine writes oom_score_adj from outside: the namespace's root may not (runtime test: oci-security)
    const oom = compile(spec((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.process!.oomScoreAdj = 500;
    }));
    assert.equal(find(oom, 'procwrite').filter((w) => w.path === 'self/oom_score_adj').length, 0);
    assert.ok(find(ops, 'mount').some((m) => m.source === '/sys/fs/cgroup/memory/c/1' && m.target === '/sys/fs/cgroup/memory'));
  });

  test('create: the fifo is opened before pivot_root and waited on after the command is found', () => {
    const ops = compile(spec(), { fifo: '/run/x/exec.fifo', detach: true, syncCgroup: true, consoleSocket: '/tmp/c.sock' });
    assert.ok(at(ops, (o) => o.op === 'fifo_open') < at(ops, (o) => o.op === 'pivot'));
    assert.deepEqual(ops.slice(-3).map((o) => o.op), ['exec_check', 'fifo_wait', 'exec']);
    for (const name of ['detach', 'console_socket', 'sync'] as const) assert.equal(find(ops, name).length, 1, name);
    assert.deepEqual(find(ops, 'tty'), [{ op: 'tty', interactive: false }]);
  });

  test('with cgroups to join, the cgroup namespace is made after the sync, not by clone', () => {
    const ops = compile(spec(), { syncCgroup: true });
    assert.equal((ops[0] as { flags: number }).flags & NAMESPACE_FLAGS.cgroup, 0);
    const sync = at(ops, (o) => o.op === 'sync');
    assert.deepEqual(ops[sync + 1], { op: 'unshare', flags: NAMESPACE_FLAGS.cgroup });
  });

  test('a new time namespace is unshared with its offsets written, not cloned; personality is set', () => {
    const ops = compile(spec((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 100, nanosecs: 5 }, monotonic: { secs: -3 } };
      s.linux!.personality = { domain: 'LINUX32' };
    }));
    assert.equal((ops[0] as { flags: number }).flags & NAMESPACE_FLAGS.time, 0);
    const u = at(ops, (o) => o.op === 'unshare' && o.flags === NAMESPACE_FLAGS.time);
    assert.ok(u > 0);
    assert.deepEqual(ops[u + 1], { op: 'procwrite', path: 'self/timens_offsets', value: 'boottime 100 5\nmonotonic -3 0' });
    assert.deepEqual(find(ops, 'personality'), [{ op: 'personality', persona: 8 }]);
    assert.throws(() => compile(spec((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { realtime: { secs: 1 } };
    })), /timeOffsets\.realtime: only monotonic and boottime/);
  });

  describe('linux.rootfsPropagation, as runc: the namespace as asked, the root\'s parent mount private, then the new root', () => {
    const SHARED = 0x100000;
    const UNBINDABLE = 0x20000;
    type Propagation = NonNullable<NonNullable<Spec['linux']>['rootfsPropagation']>;
    const steps = (propagation?: Propagation): Op[] =>
      compile(spec((s) => void (s.linux!.rootfsPropagation = propagation))).filter(
        (o) => o.op === 'propagation' || o.op === 'propagate_up' || o.op === 'pivot' || o.op === 'mask' || (o.op === 'propagate' && o.target === '/'),
      ).filter((o, i, all) => o.op !== 'mask' || all[i + 1]?.op !== 'mask');
    // the masks bind /dev/null: before a runbindable root would refuse it
    const expect = (namespace: number, parent: number, after: number | null): Op[] => [
      { op: 'propagation', flags: namespace },
      { op: 'propagate_up', path: '/b/rootfs', flags: parent },
      { op: 'pivot' },
      { op: 'mask', path: defaultSpec().linux!.maskedPaths!.at(-1)! },
      ...(after === null ? [] : [{ op: 'propagate' as const, target: '/', flags: after }]),
    ];
    test('none: rslave, the parent private, nothing after pivot_root', () => {
      assert.deepEqual(steps(), expect(MS.SLAVE | MS.REC, MS.PRIVATE, null));
    });
    test('shared and rshared are set on the new root after pivot_root (a shared parent made pivot_root fail with EINVAL)', () => {
      assert.deepEqual(steps('shared'), expect(SHARED, MS.PRIVATE, SHARED));
      assert.deepEqual(steps('rshared'), expect(SHARED | MS.REC, MS.PRIVATE, SHARED | MS.REC));
    });
    test('slave and rslave: the parent slave too; private and rprivate: nothing after pivot_root', () => {
      assert.deepEqual(steps('slave'), expect(MS.SLAVE, MS.SLAVE, null));
      assert.deepEqual(steps('rslave'), expect(MS.SLAVE | MS.REC, MS.SLAVE, null));
      assert.deepEqual(steps('private'), expect(MS.PRIVATE, MS.PRIVATE, null));
      assert.deepEqual(steps('rprivate'), expect(MS.PRIVATE | MS.REC, MS.PRIVATE, null));
    });
    test('unbindable and runbindable: the parent private (a bind from an unbindable mount fails), the new root after', () => {
      assert.deepEqual(steps('unbindable'), expect(UNBINDABLE, MS.PRIVATE, UNBINDABLE));
      assert.deepEqual(steps('runbindable'), expect(UNBINDABLE | MS.REC, MS.PRIVATE, UNBINDABLE | MS.REC));
    });
  });

  describe('without a mount namespace (runc runs it in the runtime\'s)', () => {
    const hostMnt = (change: (s: Spec) => void = () => {}): Spec =>
      spec((s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
        s.linux!.maskedPaths = [];
        s.linux!.readonlyPaths = [];
        change(s);
      });
    test('the root is a private bind on the host, chrooted into; the host\'s own mounts are left alone', () => {
      const ops = compile(hostMnt(), { noPivot: true });
      assert.equal(((ops[0] as { flags: number }).flags & NAMESPACE_FLAGS.mount), 0);
      assert.equal(find(ops, 'propagation').length + find(ops, 'propagate_up').length, 0, 'the host\'s / is not touched');
      const root = at(ops, (o) => o.op === 'setroot');
      assert.deepEqual(ops[root - 1], { op: 'mount_host', source: '/b/rootfs', target: '/b/rootfs', fstype: '', flags: MS.BIND | MS.REC, data: '' });
      assert.deepEqual(ops[root + 1], { op: 'propagate', target: '/', flags: MS.PRIVATE | MS.REC });
      assert.equal(find(ops, 'pivot').length + find(ops, 'move_root').length, 0, 'neither pivot_root nor a move over the host\'s /');
      assert.ok(at(ops, (o) => o.op === 'chroot') > at(ops, (o) => o.op === 'mount' && o.target === '/proc'));
    });
    test('what would change the host\'s mounts is refused, naming the field', () => {
      assert.throws(() => compile(hostMnt((s) => void (s.linux!.maskedPaths = ['/proc/kcore']))), /^MobyDickError: config\.json: linux\.maskedPaths: needs a mount namespace/);
      assert.throws(() => compile(hostMnt((s) => void (s.linux!.readonlyPaths = ['/proc/sys']))), /linux\.readonlyPaths: needs a mount namespace/);
      assert.throws(() => compile(hostMnt((s) => void (s.linux!.rootfsPropagation = 'shared'))), /linux\.rootfsPropagation: needs a mount namespace/);
    });
  });

  test('a mount namespace joined by path: joined last, then the same root steps in it, pivot_root included', () => {
    const ops = compile(spec((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'mount' ? { type: 'mount', path: '/proc/42/ns/mnt' } : n));
    }));
    assert.equal(((ops[0] as { flags: number }).flags & NAMESPACE_FLAGS.mount), 0);
    const join = at(ops, (o) => o.op === 'setns' && o.nstype === NAMESPACE_FLAGS.mount);
    assert.ok(join > 0 && join === at(ops, (o) => o.op === 'setns' && o === find(ops, 'setns').at(-1)));
    assert.ok(join < at(ops, (o) => o.op === 'propagation') && at(ops, (o) => o.op === 'propagation') < at(ops, (o) => o.op === 'mount_host'));
    assert.equal(find(ops, 'pivot').length, 1);
  });

  test('hostname: set in a uts namespace made or joined by path (as runc); none at all is refused, an empty one is not set', () => {
    const withUts = (uts: { type: 'uts'; path?: string } | null, hostname: string): Spec =>
      spec((s) => {
        s.hostname = hostname;
        s.linux!.namespaces = [...s.linux!.namespaces!.filter((n) => n.type !== 'uts'), ...(uts ? [uts] : [])];
      });
    assert.deepEqual(find(compile(withUts({ type: 'uts', path: '/proc/42/ns/uts' }, 'h')), 'hostname'), [{ op: 'hostname', name: 'h' }]);
    assert.deepEqual(find(compile(withUts({ type: 'uts' }, 'h')), 'hostname'), [{ op: 'hostname', name: 'h' }]);
    assert.throws(() => compile(withUts(null, 'h')), /config\.json: hostname: needs a uts namespace/);
    assert.deepEqual(find(compile(withUts(null, '')), 'hostname'), []);
  });
});

describe('refuseUnsupported', () => {
  test('names each field moby-dick cannot honour yet', () => {
    const cases: [(s: Spec) => void, RegExp][] = [
      [(s) => s.linux!.namespaces!.push({ type: 'user' }), /linux\.uidMappings: a new user namespace needs uidMappings and gidMappings/],
      [(s) => void (s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), /mappings need a new user namespace/],
      [(s) => void (s.process!.apparmorProfile = 'docker-default'), /process\.apparmorProfile/],
    ];
    for (const [change, message] of cases) assert.throws(() => refuseUnsupported(spec(change)), message);
    assert.doesNotThrow(() => refuseUnsupported(spec()));
  });
});

describe('compileExecPlan', () => {
  test('joins the container\'s namespaces, mount last, and takes defaults from config.json', () => {
    const ops = compileExecPlan(spec(), 42, { args: ['ls', '-l'], env: ['X=1'], detach: false });
    assert.deepEqual(ops[0], { op: 'clone', flags: 0 });
    assert.deepEqual(find(ops, 'join_pid'), [{ op: 'join_pid', path: '/proc/42/ns/pid' }]);
    assert.deepEqual(find(ops, 'setns').map((s) => s.path), ['/proc/42/ns/ipc', '/proc/42/ns/uts', '/proc/42/ns/net', '/proc/42/ns/cgroup', '/proc/42/ns/mnt']);
    assert.deepEqual(find(ops, 'arg').map((a) => a.value), ['ls', '-l']);
    assert.ok(find(ops, 'env').some((e) => e.value === 'X=1'));
    assert.equal(find(ops, 'mount').length, 0);
    assert.equal(find(ops, 'pivot').length, 0);
  });

  test('joins the namespaces the container joined by path too (a pod\'s), except those the runtime shares', () => {
    const pod = spec((s) => {
      s.linux!.namespaces = [
        { type: 'pid', path: '/proc/7/ns/pid' }, { type: 'network', path: '/var/run/netns/pod' }, { type: 'ipc', path: '/proc/7/ns/ipc' },
        { type: 'uts', path: '/proc/7/ns/uts' }, { type: 'mount' }, { type: 'cgroup', path: '/proc/1/ns/cgroup' },
      ];
    });
    const ops = compileExecPlan(pod, 42, { args: ['hostname'], detach: false, sharedWithRuntime: new Set(['cgroup']) });
    assert.deepEqual(find(ops, 'join_pid'), [{ op: 'join_pid', path: '/proc/42/ns/pid' }]);
    assert.deepEqual(find(ops, 'setns').map((s) => s.path), ['/proc/42/ns/ipc', '/proc/42/ns/uts', '/proc/42/ns/net', '/proc/42/ns/mnt']);
  });

  test('an ordinary user\'s exec: the helper joins the user namespace before the pid namespace, and not again', () => {
    const userns = spec((s) => {
      s.linux!.namespaces = [{ type: 'user' }, ...s.linux!.namespaces!];
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    });
    const ops = compileExecPlan(userns, 42, { args: ['id'], detach: false, userFirst: true });
    assert.deepEqual(ops.slice(0, 3), [{ op: 'clone', flags: 0 }, { op: 'join_user', path: '/proc/42/ns/user' }, { op: 'join_pid', path: '/proc/42/ns/pid' }]);
    assert.ok(!find(ops, 'setns').some((o) => o.path.endsWith('/user')));
    // as root the user namespace is joined with the others
    const asRoot = compileExecPlan(userns, 42, { args: ['id'], detach: false });
    assert.equal(find(asRoot, 'join_user').length, 0);
    assert.equal(find(asRoot, 'setns')[0]!.path, '/proc/42/ns/user');
    // no user namespace: nothing to join first
    assert.equal(find(compileExecPlan(spec(), 42, { args: ['id'], detach: false, userFirst: true }), 'join_user').length, 0);
  });

  test('--detach releases the process after the command is found', () => {
    const ops = compileExecPlan(spec(), 42, { args: ['sleep', '9'], detach: true });
    assert.deepEqual(ops.slice(-3).map((o) => o.op), ['exec_check', 'release', 'exec']);
    assert.equal(find(ops, 'detach').length, 1);
  });
});

describe('overlayData', () => {
  test('the layers topmost first, the upper and work dirs; volatile only when asked (a build step\'s container)', () => {
    const o = { lower: ['/l/2', '/l/1'], upper: '/c/diff', work: '/c/work' };
    assert.equal(overlayData(o), 'lowerdir=/l/2:/l/1,upperdir=/c/diff,workdir=/c/work');
    assert.equal(overlayData({ ...o, volatile: true }), 'lowerdir=/l/2:/l/1,upperdir=/c/diff,workdir=/c/work,volatile');
  });
  test('userxattr for a rootless container (overlay in its user namespace)', () => {
    assert.equal(overlayData({ lower: ['/l/1'], upper: '/c/diff', work: '/c/work', userxattr: true }), 'lowerdir=/l/1,upperdir=/c/diff,workdir=/c/work,userxattr');
  });
});
