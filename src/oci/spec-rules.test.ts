import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { defaultSpec } from '../spec/default-spec.js';
import type { Spec } from '../spec/schema.js';
import { checkSpecRules, type HostProbe, sysctlDotted } from './spec-rules.js';
import { parseSpec } from './validate.js';

/** A host where /run/netns/host-* and /proc/1/ns/* are the runtime's own namespaces and /host-proc is a procfs. */
const probe: HostProbe = {
  isOwnNamespace: (_type, path) => {
    if (path.includes('missing')) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return path.startsWith('/run/netns/host') || path.startsWith('/proc/1/ns/');
  },
  isProcfs: (path) => path === '/host-proc',
};

const spec = (change: (s: Spec) => void): Spec => {
  const s = defaultSpec();
  change(s);
  return s;
};
const ok = (s: Spec): void => assert.doesNotThrow(() => checkSpecRules(s, '/bundle', probe));
const refused = (s: Spec, message: RegExp): void => {
  assert.throws(() => checkSpecRules(s, '/bundle', probe), (e: unknown) => {
    assert.ok(e instanceof MobyDickError, String(e));
    assert.equal(e.code, 'INVALID_CONFIG');
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n|\.$/, 'one line, no final period');
    assert.ok(e.details.hint, 'a hint');
    return true;
  });
};
type Namespace = NonNullable<NonNullable<Spec['linux']>['namespaces']>[number];
/** TYPE new (no path), joined by PATH, or 'none' */
const withNs = (type: Namespace['type'], path?: string) => (s: Spec) => {
  s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== type);
  if (path !== 'none') s.linux!.namespaces!.push(path === undefined ? { type } : { type, path });
};
const sysctl = (values: Record<string, string>, ...more: ((s: Spec) => void)[]) =>
  spec((s) => {
    s.linux!.sysctl = values;
    for (const m of more) m(s);
  });

describe('linux.sysctl: only what the container\'s own namespaces confine', () => {
  test('non-namespaced sysctls are refused, naming the key', () => {
    refused(sysctl({ 'kernel.core_pattern': '|/tmp/x' }), /^config\.json: linux\.sysctl\.kernel\.core_pattern: not namespaced/);
    refused(sysctl({ 'vm.overcommit_memory': '1' }), /linux\.sysctl\.vm\.overcommit_memory: not namespaced/);
    refused(sysctl({ 'kernel/core_pattern': 'x' }), /linux\.sysctl\.kernel\/core_pattern: not namespaced/);
    refused(sysctl({ 'fs.file-max': '1' }), /linux\.sysctl\.fs\.file-max: not namespaced/);
    refused(sysctl({ 'kernel.msgmax2': '1' }), /not namespaced/);
    refused(sysctl({ 'kernel.hostname': 'x' }), /linux\.sysctl\.kernel\.hostname: conflicts with the hostname field/);
  });

  test('IPC ones with a new IPC namespace, or one joined that is not the host\'s', () => {
    for (const key of ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'fs.mqueue.queues_max']) {
      ok(sysctl({ [key]: '1' }));
      ok(sysctl({ [key]: '1' }, withNs('ipc', '/proc/42/ns/ipc')));
      refused(sysctl({ [key]: '1' }, withNs('ipc', 'none')), new RegExp(`linux\\.sysctl\\.${key.replaceAll('.', '\\.')}: needs a ipc namespace of the container's own \\(the container has none\\)`));
      refused(sysctl({ [key]: '1' }, withNs('ipc', '/proc/1/ns/ipc')), /needs a ipc namespace of the container's own \(the one joined is the runtime's own\)/);
    }
  });

  test('net.* with a network namespace of its own', () => {
    ok(sysctl({ 'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.100/forwarding': '1' }));
    ok(sysctl({ 'net.ipv4.ip_forward': '1' }, withNs('network', '/run/netns/mdk-test-x')));
    refused(sysctl({ 'net.ipv4.ip_forward': '1' }, withNs('network', 'none')), /linux\.sysctl\.net\.ipv4\.ip_forward: needs a network namespace/);
    refused(sysctl({ 'net.ipv4.ip_forward': '1' }, withNs('network', '/run/netns/host')), /the one joined is the runtime's own/);
    refused(sysctl({ 'net.ipv4.ip_forward': '1' }, withNs('network', '/run/netns/missing')), /^config\.json: linux\.namespaces\[\d\]\.path: cannot read \/run\/netns\/missing: ENOENT/);
  });

  test('kernel.domainname with a UTS namespace, user.* with a user namespace', () => {
    ok(sysctl({ 'kernel.domainname': 'example.org' }));
    refused(sysctl({ 'kernel.domainname': 'x' }, withNs('uts', 'none'), (s) => delete s.hostname), /needs a uts namespace/);
    refused(sysctl({ 'user.max_user_namespaces': '0' }), /linux\.sysctl\.user\.max_user_namespaces: needs a user namespace/);
    ok(sysctl({ 'user.max_user_namespaces': '0' }, withNs('user')));
  });

  test('names with "/" are read as runc reads them', () => {
    assert.equal(sysctlDotted('net/ipv4/ip_forward'), 'net.ipv4.ip_forward');
    assert.equal(sysctlDotted('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
    assert.equal(sysctlDotted('net.ipv4.conf.eth0/100.forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  });

  test('parseSpec applies the rules', () => {
    const text = JSON.stringify(sysctl({ 'kernel.core_pattern': 'x' }));
    assert.throws(() => parseSpec(text, '/bundle/config.json', probe), /linux\.sysctl\.kernel\.core_pattern: not namespaced/);
  });
});

describe('linux.namespaces and domainname', () => {
  test('a namespace type listed twice is refused', () => {
    refused(spec((s) => s.linux!.namespaces!.push({ type: 'pid', path: '/proc/42/ns/pid' })), /^config\.json: linux\.namespaces\[6\]\.type: pid is already linux\.namespaces\[0\]/);
    refused(spec((s) => s.linux!.namespaces!.push({ type: 'network' })), /linux\.namespaces\[6\]\.type: network is already linux\.namespaces\[1\]/);
  });

  test('domainname needs a UTS namespace of the container\'s own', () => {
    ok(spec((s) => void (s.domainname = 'example.org')));
    ok(spec((s) => {
      s.domainname = 'example.org';
      withNs('uts', '/proc/42/ns/uts')(s);
    }));
    refused(spec((s) => {
      s.domainname = 'example.org';
      delete s.hostname;
      withNs('uts', 'none')(s);
    }), /^config\.json: domainname: needs a uts namespace of the container's own \(the container has none\)/);
    refused(spec((s) => {
      s.domainname = 'example.org';
      delete s.hostname;
      withNs('uts', '/proc/1/ns/uts')(s);
    }), /domainname: needs a uts namespace .*the one joined is the runtime's own/);
  });
});

describe('hostname', () => {
  test('set in a UTS namespace of the container\'s own, new or joined by path (runc allows a joined one); never the runtime\'s', () => {
    ok(spec((s) => void (s.hostname = 'h')));
    ok(spec((s) => {
      s.hostname = 'h';
      withNs('uts', '/proc/42/ns/uts')(s);
    }));
    refused(spec((s) => {
      s.hostname = 'h';
      withNs('uts', 'none')(s);
    }), /^config\.json: hostname: needs a uts namespace of the container's own \(the container has none\)/);
    refused(spec((s) => {
      s.hostname = 'h';
      withNs('uts', '/proc/1/ns/uts')(s);
    }), /hostname: needs a uts namespace .*the one joined is the runtime's own/);
    // runc sets neither when empty, and asks for no namespace then
    ok(spec((s) => {
      s.hostname = '';
      withNs('uts', 'none')(s);
    }));
  });
});

describe('mounts', () => {
  const mount = (m: NonNullable<Spec['mounts']>[number]) => spec((s) => s.mounts!.push(m));

  test('a destination with ".." is refused', () => {
    refused(mount({ destination: '/tmp/../proc/sys', type: 'tmpfs', source: 'tmpfs' }), /^config\.json: mounts\[7\]\.destination: "\/tmp\/\.\.\/proc\/sys" has a "\.\." component/);
    refused(mount({ destination: '..', type: 'tmpfs', source: 'tmpfs' }), /mounts\[7\]\.destination: .* has a "\.\." component/);
    ok(mount({ destination: '/tmp/..x/a..b', type: 'tmpfs', source: 'tmpfs' }));
  });

  test('under /proc only runc\'s few files may be covered', () => {
    for (const destination of ['/proc/sys', '/proc/sys/kernel/core_pattern', 'proc/sysrq-trigger', '/proc//sys/', '/proc/./kcore', '/proc/net/dev', '/proc/self/ns']) {
      refused(mount({ destination, type: 'tmpfs', source: 'tmpfs' }), /^config\.json: mounts\[7\]\.destination: cannot mount over \/proc\/\S+: under \/proc only/);
    }
    for (const destination of ['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled', '/proc/uptime/', '/procfoo', '/proc2/sys']) {
      ok(mount({ destination, type: 'bind', source: '/var/lib/lxcfs/proc/uptime', options: ['rbind'] }));
    }
  });

  test('on /proc itself only a procfs: a fresh one, or a bind of one', () => {
    const onProc = (m: Omit<NonNullable<Spec['mounts']>[number], 'destination'>, destination = '/proc') =>
      spec((s) => void (s.mounts![0] = { destination, ...m }));
    ok(onProc({ type: 'proc', source: 'proc' }));
    ok(onProc({ type: 'bind', source: '/host-proc', options: ['rbind'] }));
    ok(onProc({ source: '/host-proc', options: ['bind'] }));
    refused(onProc({ type: 'tmpfs', source: 'tmpfs' }), /^config\.json: mounts\[0\]\.destination: only a procfs may be mounted on \/proc, not "tmpfs"/);
    refused(onProc({ type: 'tmpfs', source: 'tmpfs' }, '/proc/'), /mounts\[0\]\.destination: only a procfs/);
    refused(onProc({ type: 'bind', source: '/srv/fake-proc', options: ['rbind'] }), /mounts\[0\]\.destination: only a procfs may be mounted on \/proc, and the source of this bind is not one/);
    refused(onProc({ source: 'missing', options: ['bind'] }), /the source of this bind is not one/);
  });
});

describe('hostname and domainname', () => {
  test('longer than the kernel\'s 64 bytes: refused before anything is made (sethostname refused it at start)', () => {
    ok(spec((s) => void (s.hostname = 'h'.repeat(64))));
    refused(spec((s) => void (s.hostname = 'h'.repeat(65))), /hostname: 65 bytes, longer than the kernel's 64/);
    refused(spec((s) => void (s.domainname = 'é'.repeat(33))), /domainname: 66 bytes/);
  });
});
