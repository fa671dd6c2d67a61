import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from './errors.js';
import { bindOf, createRequestOf, publishOf } from './create-request.js';

/** What docker 20.10's `run` sends for `docker run busybox echo hi` (the zero values of every flag not given). */
const CLI_DEFAULTS = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: [], Cmd: ['echo', 'hi'], Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false, VolumeDriver: '', VolumesFrom: null, CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null,
    GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false,
    SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, ConsoleSize: [0, 0], Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
    BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null,
    CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null,
    DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false,
    PidsLimit: null, Ulimits: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

test("the docker CLI's body with every flag at its zero value is a plain request", () => {
  const r = createRequestOf(CLI_DEFAULTS, 'mdk-test-x');
  assert.equal(r.image, 'busybox');
  assert.deepEqual(r.command, ['echo', 'hi']);
  assert.equal(r.entrypoint, undefined);
  assert.equal(r.name, 'mdk-test-x');
  assert.equal(r.network, 'bridge');
  assert.deepEqual(r.mounts, []);
  assert.deepEqual(r.publish, []);
  assert.equal(r.pidsLimit, undefined);
  assert.deepEqual(r.restart, { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(r.log, { maxSize: 0, maxFiles: 1 });
  assert.equal(r.seccomp, 'default');
});

test('every field the engine supports is carried over', () => {
  const r = createRequestOf({
    Image: 'busybox', Cmd: 'sh', Entrypoint: ['/bin/env', '-i'], Env: ['A=1', 'UNSET'], Tty: true, OpenStdin: true, StdinOnce: true, Hostname: 'h', User: '1:2', WorkingDir: '/w',
    Labels: { a: 'b' }, StopSignal: 'SIGINT', StopTimeout: 3, ExposedPorts: { '53/udp': {} }, Volumes: { '/anon': {} },
    HostConfig: {
      Binds: ['/srv:/srv:ro', 'data:/data'], Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 } }], Tmpfs: { '/run': 'size=1m' },
      Memory: 64 << 20, MemorySwap: -1, NanoCpus: 1.5e9, CpuShares: 512, PidsLimit: 50, Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }],
      CapAdd: ['NET_ADMIN'], CapDrop: ['MKNOD'], Privileged: false, SecurityOpt: ['no-new-privileges:true', 'seccomp=unconfined'], Init: true, ReadonlyRootfs: true,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      NetworkMode: 'mdk-test-net', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '443/tcp': [{ HostIp: '', HostPort: '8443' }] }, PublishAllPorts: true,
      Dns: ['1.1.1.1'], DnsSearch: ['x'], DnsOptions: ['ndots:1'], ExtraHosts: ['h:1.2.3.4'], ShmSize: 1 << 20,
    },
    NetworkingConfig: { EndpointsConfig: { 'mdk-test-net': { Aliases: ['web'] } } },
  });
  assert.equal(r.entrypoint, '/bin/env');
  assert.deepEqual(r.command, ['-i', 'sh']);
  assert.deepEqual(r.env, ['A=1']);
  assert.equal(r.tty && r.openStdin && r.stdinOnce && r.readOnly && r.init && r.publishAll && r.noNewPrivileges, true);
  assert.deepEqual([r.hostname, r.user, r.workdir, r.stopSignal, r.stopTimeout], ['h', '1:2', '/w', 'SIGINT', 3]);
  assert.deepEqual(r.mounts.map((m) => [m.kind, m.source, m.destination, m.readOnly]), [
    ['bind', '/srv', '/srv', true], ['volume', 'data', '/data', false], ['tmpfs', '', '/t', false], ['tmpfs', '', '/run', false], ['volume', '', '/anon', false],
  ]);
  assert.deepEqual(r.mounts[2]!.tmpfsOptions, ['size=1024', 'mode=1777']);
  assert.deepEqual([r.memory, r.memorySwap, r.nanoCpus, r.cpuShares, r.pidsLimit, r.shmSize], [64 << 20, -1, 1.5e9, 512, 50, 1 << 20]);
  // CpuPeriod, CpuQuota and MemoryReservation kept as given (dockerd's); the engine checks them
  const q = createRequestOf({ Image: 'b', HostConfig: { CpuPeriod: 50000, CpuQuota: 25000, MemoryReservation: 32 << 20 } });
  assert.deepEqual([q.cpuPeriod, q.cpuQuota, q.memoryReservation, q.nanoCpus], [50000, 25000, 32 << 20, undefined]);
  assert.deepEqual(r.ulimits, [{ name: 'nofile', soft: 100, hard: 200 }]);
  assert.equal(r.seccomp, 'unconfined');
  assert.deepEqual(r.restart, { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(r.log, { maxSize: 10 << 20, maxFiles: 2 });
  assert.equal(r.network, 'mdk-test-net');
  assert.deepEqual(r.networkAliases, ['web']);
  assert.deepEqual(r.publish, ['127.0.0.1::80/tcp', '8443:443/tcp']);
  assert.deepEqual(r.expose, ['53/udp']);
  assert.deepEqual([r.dns, r.dnsSearch, r.dnsOptions, r.addHost], [['1.1.1.1'], ['x'], ['ndots:1'], ['h:1.2.3.4']]);
});

test('Entrypoint [""] clears the image\'s; none keeps it', () => {
  assert.equal(createRequestOf({ Image: 'b', Entrypoint: [''] }).entrypoint, '');
  assert.equal(createRequestOf({ Image: 'b', Entrypoint: [] }).entrypoint, undefined);
  assert.equal(createRequestOf({ Image: 'b', Entrypoint: 'x' }).entrypoint, 'x');
});

test('an unsupported field that is set is refused with a 400 naming it', () => {
  const refused = (body: object, field: RegExp) =>
    assert.throws(() => createRequestOf({ Image: 'b', ...body }), (e: unknown) => e instanceof ApiError && e.status === 400 && field.test(e.message));
  refused({ HostConfig: { DeviceCgroupRules: ['c 1:3 r'] } }, /^HostConfig.DeviceCgroupRules is not supported/);
  refused({ HostConfig: { Devices: [{ PathOnHost: 'fuse' }] } }, /HostConfig.Devices\[0\]: PathOnHost must be an absolute path/);
  refused({ HostConfig: { LogConfig: { Type: 'syslog' } } }, /LogConfig.Type/);
  refused({ HostConfig: { SecurityOpt: ['apparmor=x'] } }, /SecurityOpt\[0\]/);
  refused({ Healthcheck: { Test: ['CMD', 'true'], Interval: 1000 } }, /^Interval in Healthcheck cannot be less than 1ms$/);
  refused({ Healthcheck: { Test: ['CMD', 'true'], Retries: -1 } }, /^Retries in Healthcheck cannot be negative$/);
  refused({ Healthcheck: { Test: ['BOGUS', 'true'] } }, /unknown healthcheck type 'BOGUS'/);
  refused({ Domainname: 'example.org' }, /Domainname/);
  refused({ NetworkingConfig: { EndpointsConfig: { a: {}, b: {} } }, HostConfig: { NetworkMode: 'a' } }, /only one network/);
  // a zero value is as good as absent
  createRequestOf({ Image: 'b', HostConfig: { Devices: [], Sysctls: {}, PidMode: '', MemorySwappiness: -1 } });
});

test('Healthcheck: carried over as given (nanoseconds); NONE kept; all zero is none', () => {
  assert.deepEqual(createRequestOf({ Image: 'b', Healthcheck: { Test: ['CMD-SHELL', 'test -f /ok'], Interval: 1e9, Timeout: 0, Retries: 2 } }).healthcheck, {
    Test: ['CMD-SHELL', 'test -f /ok'],
    Interval: 1e9,
    Retries: 2,
  });
  assert.deepEqual(createRequestOf({ Image: 'b', Healthcheck: { Test: ['NONE'] } }).healthcheck, { Test: ['NONE'] });
  assert.deepEqual(createRequestOf({ Image: 'b', Healthcheck: { Interval: 2e9 } }).healthcheck, { Test: [], Interval: 2e9 });
  assert.equal(createRequestOf({ Image: 'b', Healthcheck: { Test: [], Interval: 0 } }).healthcheck, undefined);
  assert.equal(createRequestOf({ Image: 'b', Healthcheck: null }).healthcheck, undefined);
});

test('the host flags of run: Devices, Sysctls, GroupAdd, the namespace modes, VolumesFrom, cpuset, blkio, OOM, LogConfig none', () => {
  const r = createRequestOf({
    Image: 'b',
    HostConfig: {
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '', CgroupPermissions: '' }, { PathOnHost: '/dev/null', PathInContainer: '/dev/n', CgroupPermissions: 'r' }],
      Sysctls: { 'net.ipv4.ip_forward': '1' }, GroupAdd: ['audio', '50'], IpcMode: 'shareable', PidMode: 'container:web', UTSMode: 'host', UsernsMode: 'host',
      VolumesFrom: ['data:ro'], CpusetCpus: '0-1', CpusetMems: '0', BlkioWeight: 300, OomKillDisable: true, LogConfig: { Type: 'none' },
    },
  });
  assert.deepEqual(r.devices, [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'rwm' }, { pathOnHost: '/dev/null', pathInContainer: '/dev/n', cgroupPermissions: 'r' }]);
  assert.deepEqual(r.sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(r.groupAdd, ['audio', '50']);
  assert.deepEqual([r.ipc, r.pid, r.uts, r.userns], ['shareable', 'container:web', 'host', 'host']);
  assert.deepEqual(r.volumesFrom, ['data:ro']);
  assert.deepEqual([r.cpusetCpus, r.cpusetMems, r.blkioWeight, r.oomKillDisable, r.logDriver], ['0-1', '0', 300, true, 'none']);
  const plain = createRequestOf({ Image: 'b' });
  assert.deepEqual([plain.devices, plain.sysctls, plain.ipc, plain.pid, plain.cpusetCpus, plain.oomKillDisable, plain.logDriver], [undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
});

test('types are checked, naming the field', () => {
  const bad = (body: unknown, field: RegExp) => assert.throws(() => createRequestOf(body), (e: unknown) => e instanceof ApiError && e.status === 400 && field.test(e.message));
  bad({ Image: 'b', Cmd: 5 }, /invalid Cmd: expected an array of strings, got number/);
  bad({ Image: 'b', HostConfig: { Memory: '1g' } }, /invalid HostConfig.Memory/);
  bad({ Image: 'b', HostConfig: { Binds: ['relative:/x:zz'] } }, /invalid mode: zz/);
  bad({ Image: 'b', HostConfig: [] }, /invalid HostConfig: expected an object/);
  bad([], /invalid body/);
  bad({}, /Image is required/);
  bad({ Image: 'b', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } }, /only be used with 'on-failure'/);
  bad({ Image: 'b', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, /restart policy and auto remove/);
});

test('Binds and PortBindings in their text forms', () => {
  assert.deepEqual(bindOf('/a:/b:ro,rshared', 0), { kind: 'bind', source: '/a', destination: '/b', readOnly: true, createSource: true, propagation: 'rshared' });
  assert.deepEqual(bindOf('/anon', 0), { kind: 'volume', source: '', destination: '/anon', readOnly: false });
  assert.throws(() => bindOf('a:b', 0), /mount path must be absolute/);
  assert.deepEqual(publishOf({ '80/tcp': null, '53/udp': [{ HostIp: '0.0.0.0', HostPort: '53' }] }), ['80/tcp', '0.0.0.0:53:53/udp']);
  assert.throws(() => publishOf({ 'x/tcp': [] }), /invalid port specification/);
  // testcontainers asks for any free port with HostPort "0"
  assert.deepEqual(publishOf({ '80/tcp': [{ HostPort: '0' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] }), ['80/tcp', '127.0.0.1::81/tcp']);
  // the service's --ip where a binding names no address
  assert.deepEqual(publishOf({ '80/tcp': [{ HostPort: '0' }], '81/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }], '82/tcp': [{ HostIp: '', HostPort: '8082' }], '83/tcp': null }, '127.0.0.1'), [
    '127.0.0.1::80/tcp', '0.0.0.0:8081:81/tcp', '127.0.0.1:8082:82/tcp', '127.0.0.1::83/tcp',
  ]);
  assert.deepEqual(createRequestOf({ Image: 'b', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } } }, undefined, { hostIp: '127.0.0.1' }).publish, ['127.0.0.1::80/tcp']);
  // and PublishAllPorts' bindings (they name none either)
  assert.equal(createRequestOf({ Image: 'b', HostConfig: { PublishAllPorts: true } }, undefined, { hostIp: '127.0.0.1' }).publishAllIp, '127.0.0.1');
  assert.equal(createRequestOf({ Image: 'b', HostConfig: { PublishAllPorts: true } }).publishAllIp, undefined);
});
