import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointRecord, NetworkRecord } from '../network/network-table.js';
import type { ContainerRecord } from './container-table.js';
import { exposedPorts, networkHostConfig, networkMode, networkSettings } from './network-inspect.js';

const bridge: NetworkRecord = {
  id: 'n'.repeat(64), name: 'bridge', created: '', driver: 'bridge', subnet: '172.17.0.0/16', gateway: '172.17.0.1', bridge: 'mdk0', internal: false, labels: {}, isDefault: true,
};
const record = {
  id: 'c'.repeat(64),
  engine: { network: { mode: 'none' } },
  exposedPorts: ['443/tcp'],
  net: {
    mode: 'bridge',
    networks: [{ id: bridge.id, aliases: [] }],
    ports: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0, containerPort: 80 }],
    dns: { servers: ['192.0.2.53'], search: [], options: [] },
    extraHosts: ['db:10.0.0.5'],
  },
} as unknown as ContainerRecord;
const endpoint: EndpointRecord = {
  networkId: bridge.id, containerId: record.id, ip: '172.17.0.2', prefixLen: 16, gateway: '172.17.0.1', mac: '02:42:ac:11:00:02', ifname: 'eth0', hostVeth: 'mdkv1', names: [], aliases: [],
};
const networks = new Map([[bridge.id, bridge]]);

test("a running container on the default bridge: Docker's top-level fields, Ports with the picked host port and the unpublished exposed one", () => {
  const s = networkSettings(record, { endpoints: [endpoint], ports: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 40001, containerPort: 80, containerId: record.id, containerIp: '172.17.0.2' }], networks, pid: 42 });
  assert.equal(s.IPAddress, '172.17.0.2');
  assert.equal(s.Gateway, '172.17.0.1');
  assert.equal(s.MacAddress, '02:42:ac:11:00:02');
  assert.equal(s.SandboxKey, '/proc/42/ns/net');
  assert.deepEqual(s.Ports, { '443/tcp': null, '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '40001' }] });
  assert.equal((s.Networks as Record<string, { IPAddress: string }>).bridge!.IPAddress, '172.17.0.2');
});

test('a stopped one: its networks without addresses, no ports', () => {
  const s = networkSettings(record, { endpoints: [], ports: [], networks, pid: 0 });
  assert.equal(s.IPAddress, '');
  assert.deepEqual(s.Ports, {});
  assert.equal((s.Networks as Record<string, { IPAddress: string }>).bridge!.IPAddress, '');
});

test('HostConfig and Config parts; the modes by name', () => {
  const h = networkHostConfig(record, { endpoints: [], ports: [], networks, pid: 0 });
  assert.equal(h.NetworkMode, 'bridge');
  assert.deepEqual(h.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.deepEqual(h.Dns, ['192.0.2.53']);
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.5']);
  assert.deepEqual(exposedPorts(record), { '443/tcp': {}, '80/tcp': {} });
  assert.equal(networkMode({ ...record, net: { ...record.net!, mode: 'container', container: 'abc' } }, networks), 'container:abc');
  assert.equal(networkMode({ ...record, net: undefined } as ContainerRecord, networks), 'none');
});
