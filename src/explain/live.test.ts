import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { defaultRoute, dockerDifferences, explainLive, interfacesOf, type LiveSide, localAddresses, renderLive } from './live.js';

const FIB = `Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 172.17.0.0/16 2 0 2
           |-- 172.17.0.0
              /16 link UNICAST
           |-- 172.17.0.2
              /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
           |-- 172.17.0.2
              /32 host LOCAL
`;

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
`;

describe('reading a container from /proc', () => {
  test('local addresses from fib_trie, loopback left out, each once', () => {
    assert.deepEqual(localAddresses(FIB), ['172.17.0.2']);
  });

  test('the interface of each address: the link route (no gateway) that holds it, the longest prefix first', () => {
    // eth0 172.17.0.2/16; net1 10.1.2.3/24 inside a 10.0.0.0/8 link route on eth1; 192.168.9.9/32 has no link route
    const route = `${ROUTE}net1\t0002010A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0
eth1\t0000000B\t0100000A\t0003\t0\t0\t0\t000000FF\t0\t0\t0
`;
    assert.deepEqual(interfacesOf(['172.17.0.2', '10.1.2.3', '10.9.9.9', '11.0.0.5', '192.168.9.9'], route), [
      { address: '172.17.0.2', interface: 'eth0' },
      { address: '10.1.2.3', interface: 'net1' },
      { address: '10.9.9.9', interface: 'eth1' },
      // 11.0.0.0/8 is reached through a gateway: not a link the address is on
      { address: '11.0.0.5', interface: null },
      { address: '192.168.9.9', interface: null },
    ]);
    assert.deepEqual(interfacesOf([], route), []);
  });

  test('the default route from /proc/net/route (little-endian hex)', () => {
    assert.equal(defaultRoute(ROUTE), 'via 172.17.0.1 dev eth0');
    assert.equal(defaultRoute(ROUTE.split('\n').filter((l) => !l.includes('\t00000000\t0100')).join('\n')), null);
  });

  test('namespaces, capabilities, masked paths and limits, beside the host', () => {
    const files: Record<string, string> = {
      '/proc/7/ns/pid': 'pid:[1]', '/proc/self/ns/pid': 'pid:[2]',
      '/proc/7/ns/user': 'user:[3]', '/proc/self/ns/user': 'user:[3]',
      '/proc/7/ns/cgroup': 'cgroup:[4]', '/proc/self/ns/cgroup': 'cgroup:[5]',
      '/proc/7/status': 'CapEff:\t0000000000000001\nSeccomp:\t2\nNoNewPrivs:\t1\n',
      '/proc/self/status': 'CapEff:\t0000000000000003\nSeccomp:\t0\nNoNewPrivs:\t0\n',
      '/proc/7/cgroup': '4:pids:/moby-dick/abc\n3:memory:/moby-dick/abc\n',
      '/proc/7/net/fib_trie': FIB,
      '/proc/7/net/route': ROUTE,
      '/sys/fs/cgroup/pids/moby-dick/abc/pids.max': '50\n',
      '/sys/fs/cgroup/memory/moby-dick/abc/memory.limit_in_bytes': '67108864\n',
      '/proc/7/mountinfo': [
        '58 49 0:44 /null /proc/keys ro,nosuid - tmpfs tmpfs rw',
        '61 52 0:50 / /sys/firmware ro,relatime - tmpfs tmpfs ro,size=0k',
        '65 49 0:43 /sys /proc/sys ro,nosuid - proc proc rw',
        '53 52 0:47 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs rw',
      ].join('\n'),
    };
    const e = explainLive({ id: 'abc', name: 'web', pid: 7, read: (p) => files[p] ?? null, cgroupVersion: 1 });
    assert.deepEqual(e.namespaces.map((n) => [n.kind, n.state]), [['pid', 'private'], ['user', 'shared'], ['cgroup', 'private']]);
    assert.deepEqual(e.sides.container.capabilities, ['CAP_CHOWN']);
    assert.deepEqual(e.dropped, ['CAP_DAC_OVERRIDE']);
    assert.equal(e.sides.container.seccomp, 'filter');
    assert.equal(e.sides.container.noNewPrivs, true);
    assert.deepEqual(e.limits, [{ file: 'pids.max', value: '50' }, { file: 'memory.limit_in_bytes', value: '67108864' }]);
    assert.deepEqual(e.masked, ['/proc/keys', '/sys/firmware']);
    assert.deepEqual(e.readonly, ['/proc/sys']);
    assert.ok(e.docker.some((d) => d.includes('cgroupns=host')), 'a private cgroup namespace on v1 is not what Docker does');
    assert.match(renderLive(e), /^pid namespace +pid:\[1\] +pid:\[2\] +private: /m);
    assert.deepEqual(e.sides.container.addressInterfaces, [{ address: '172.17.0.2', interface: 'eth0' }]);
    assert.match(renderLive(e), /^addresses +172\.17\.0\.2 on eth0 +- *$/m);
  });

  test('what Docker would have done otherwise with the same flags: capabilities by its rule, seccomp, no_new_privs, AppArmor, cgroupns on v1', () => {
    const side = (bounding: readonly string[], seccomp: LiveSide['seccomp'], noNewPrivs = false): LiveSide => ({
      capabilities: [], bounding: [...bounding], seccomp, noNewPrivs, cgroups: [], mounts: 0, interfaces: [], addresses: [], addressInterfaces: [], defaultRoute: null,
    });
    const flags = { capAdd: [] as string[], capDrop: ['NET_RAW'], privileged: false, seccomp: 'default' as const, noNewPrivileges: false };
    const v2 = { cgroupVersion: 2 as const, cgroupNsPrivate: true, apparmor: false };
    const same = DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW');
    // as Docker would have made it: nothing to say
    assert.deepEqual(dockerDifferences(side(same, 'filter'), flags, v2), []);
    // --privileged on a host whose root lacks CAP_SYS_RESOURCE: Docker's daemon would have given it
    const held = CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');
    const priv = dockerDifferences(side(held, 'none'), { ...flags, capDrop: [], privileged: true }, { ...v2, apparmor: true });
    assert.equal(priv.length, 1, priv.join('\n'));
    assert.match(priv[0]!, /^Docker would also have given CAP_SYS_RESOURCE: /);
    // a capability too many, a filter missing, no_new_privs not set as asked
    const off = dockerDifferences(side([...same, 'CAP_SYS_ADMIN'], 'none', false), { ...flags, noNewPrivileges: true }, v2);
    assert.deepEqual(off.map((d) => d.split(' ').slice(0, 4).join(' ')), ['Docker would have loaded', 'Docker would have dropped', 'Docker would have set']);
    assert.match(off[1]!, /CAP_SYS_ADMIN/);
    // seccomp=unconfined: Docker loads none either; a filter there would be a difference
    assert.deepEqual(dockerDifferences(side(same, 'none'), { ...flags, seccomp: 'unconfined' }, v2), []);
    assert.match(dockerDifferences(side(same, 'filter'), { ...flags, seccomp: 'unconfined' }, v2).join(), /no seccomp filter \(seccomp=unconfined\)/);
    // the host: AppArmor (not for --privileged), and a private cgroup namespace on v1
    const host = dockerDifferences(side(same, 'filter'), flags, { cgroupVersion: 1, cgroupNsPrivate: true, apparmor: true });
    assert.equal(host.length, 2);
    assert.match(host[0]!, /--cgroupns=host/);
    assert.match(host[1]!, /AppArmor/);
  });
});

