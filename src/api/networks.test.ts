import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkDocument } from '../engine/network-inspect.js';
import type { NetworkRecord } from '../network/network-table.js';
import { ApiError } from './errors.js';
import { filtersOf } from './filter-match.js';
import { connectAliases, filterNetworks, NETWORK_LIST_FILTERS, networkCreateOf, pseudoNetwork } from './networks.js';

const record = (name: string, id: string, labels: Record<string, string> = {}, isDefault = false): NetworkRecord => ({
  id: id.repeat(64).slice(0, 64), name, created: '2024-01-01T00:00:00.000Z', driver: 'bridge', subnet: '172.18.0.0/16', gateway: '172.18.0.1', bridge: `mdk-${id}`, internal: false, labels, isDefault,
});

test("a network's document: Docker's shape, Containers from its endpoints, IPAM's one subnet", () => {
  const n = record('mdk-test-n', 'a', { k: 'v' });
  const doc = networkDocument(n, [{ networkId: n.id, containerId: 'c'.repeat(64), ip: '172.18.0.2', prefixLen: 16, gateway: '172.18.0.1', mac: '02:42:ac:12:00:02', ifname: 'eth0', hostVeth: 'v', names: [], aliases: [] }], () => 'mdk-test-c');
  assert.deepEqual(doc.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] });
  assert.deepEqual(doc.Containers, { ['c'.repeat(64)]: { Name: 'mdk-test-c', EndpointID: `${'c'.repeat(32)}${'a'.repeat(32)}`, MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16', IPv6Address: '' } });
  assert.equal(doc.Driver, 'bridge');
  assert.deepEqual(doc.Labels, { k: 'v' });
  // a user network's Options are the driver options it was made with (none): Compose compares them
  assert.deepEqual(doc.Options, {});
  assert.deepEqual(networkDocument(record('bridge', 'b', {}, true), [], () => '').Options, { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': 'mdk-b' });
  assert.deepEqual(pseudoNetwork('host', 'host').IPAM.Config, []);
});

test('GET /networks: name and id substrings, driver, label, type custom/builtin, dangling', () => {
  const docs = [
    networkDocument(record('bridge', '1', {}, true), [], () => ''),
    networkDocument(record('mdk-test-used', '2', { tier: 'web' }), [], () => ''),
    networkDocument(record('mdk-test-free', '3'), [], () => ''),
    pseudoNetwork('host', 'host'),
    pseudoNetwork('none', 'null'),
  ];
  const used = (id: string): boolean => id.startsWith('2');
  const names = (filters: unknown): string[] => filterNetworks(docs, filtersOf(new URLSearchParams({ filters: JSON.stringify(filters) }), NETWORK_LIST_FILTERS), used).map((d) => d.Name);
  assert.deepEqual(names({}), ['bridge', 'mdk-test-used', 'mdk-test-free', 'host', 'none']);
  assert.deepEqual(names({ name: ['mdk-test'] }), ['mdk-test-used', 'mdk-test-free']);
  assert.deepEqual(names({ id: ['333'] }), ['mdk-test-free']);
  assert.deepEqual(names({ driver: ['null'] }), ['none']);
  assert.deepEqual(names({ label: ['tier=web'] }), ['mdk-test-used']);
  assert.deepEqual(names({ type: ['builtin'] }), ['bridge', 'host', 'none']);
  assert.deepEqual(names({ type: ['custom'] }), ['mdk-test-used', 'mdk-test-free']);
  assert.deepEqual(names({ dangling: ['true'] }), ['mdk-test-free']);
  assert.throws(() => names({ type: ['other'] }), ApiError);
});

test("POST /networks/create: Name, Internal, Labels, IPAM's subnet and gateway; what cannot be made is refused by name", () => {
  assert.deepEqual(networkCreateOf({ Name: 'n', CheckDuplicate: true, Driver: 'bridge', Internal: true, Labels: { a: 'b' }, IPAM: { Driver: 'default', Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1' }] } }), {
    name: 'n', subnet: '10.1.0.0/24', gateway: '10.1.0.1', internal: true, labels: { a: 'b' },
  });
  assert.deepEqual(networkCreateOf({ Name: 'n', IPAM: { Config: [] }, Options: {} }), { name: 'n', internal: false, labels: {} });
  const refused = (body: object, status = 400) => assert.throws(() => networkCreateOf(body), (e: unknown) => e instanceof ApiError && e.status === status, JSON.stringify(body));
  refused({});
  refused({ Name: 'n', Driver: 'overlay' }, 404);
  refused({ Name: 'n', EnableIPv6: true });
  refused({ Name: 'n', Options: { 'com.docker.network.bridge.name': 'x' } });
  refused({ Name: 'n', IPAM: { Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24' }] } });
  refused({ Name: 'n', IPAM: { Config: [{ Subnet: '10.1.0.0/24', IPRange: '10.1.0.0/25' }] } });
  refused({ Name: 'n', IPAM: { Config: [{ Gateway: '10.1.0.1' }] } });
  refused({ Name: 'n', IPAM: { Driver: 'other' } });
  refused({ Name: 'n', Labels: { a: 1 } });
});

test('POST /networks/{id}/connect: the aliases; a fixed address or links refused', () => {
  assert.deepEqual(connectAliases({ Container: 'c', EndpointConfig: { Aliases: ['a', 'b'] } }), ['a', 'b']);
  assert.deepEqual(connectAliases({ Container: 'c' }), []);
  assert.deepEqual(connectAliases({ Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: '' } } }), []);
  assert.throws(() => connectAliases({ Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: '10.0.0.9' } } }), ApiError);
  assert.throws(() => connectAliases({ Container: 'c', EndpointConfig: { Links: ['x'] } }), ApiError);
  assert.throws(() => connectAliases({ Container: 'c', EndpointConfig: { Aliases: 'a' as unknown as string[] } }), ApiError);
});
