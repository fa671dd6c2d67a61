/**
 * A bridge container's network for --explain: each endpoint's veth pair,
 * address and route, the bridge on the host, the NAT of its subnet and its
 * published ports, from what the engine recorded when it plugged them in.
 */
import type { Explanation } from '../explain/explanation.js';
import type { NetworkRecord } from '../network/network-table.js';
import type { ContainerRecord } from './container-table.js';
import type { EngineCore } from './engine-core.js';
import type { NetworkFacts } from './network-inspect.js';

/** RECORD's endpoints and ports as plugged in, before it counts as running (networkFacts waits for that). */
export function pluggedNetwork(e: EngineCore, record: ContainerRecord): NetworkFacts {
  const networks = new Map<string, NetworkRecord>();
  for (const a of record.net?.networks ?? []) {
    const n = e.networks.table.tryFind(a.id);
    if (n) networks.set(a.id, n);
  }
  return { endpoints: e.networks.endpoints(record.id), ports: e.networks.ports(record.id), networks, pid: 0 };
}

export function explainNetwork(f: NetworkFacts): Explanation['network'] {
  const interfaces: Explanation['network']['interfaces'] = [{ name: 'lo', says: 'the loopback interface, brought up' }];
  for (const e of f.endpoints) {
    const n = f.networks.get(e.networkId);
    const bridge = n?.bridge ?? '?';
    interfaces.push({
      name: e.ifname,
      says: `one end of a veth pair (veth(4)) moved into the container's namespace, with address ${e.ip}/${e.prefixLen} and MAC ${e.mac}; its other end, ${e.hostVeth}, stays on the host, attached to the bridge ${bridge} (network ${n?.name ?? e.networkId})`,
    });
    if (e.ifname === 'eth0' && e.gateway) {
      interfaces.push({ name: 'route', says: `default route via ${e.gateway}, the bridge's address on the host (ip-route(8))` });
    }
    if (n && !n.internal) {
      interfaces.push({ name: 'nat', says: `nftables masquerades ${n.subnet} leaving the host by another interface: the container's traffic goes out with the host's address (nft(8))` });
    }
  }
  for (const p of f.ports) {
    interfaces.push({ name: 'port', says: `nftables DNAT: ${p.hostIp || '0.0.0.0'}:${p.hostPort}/${p.protocol} on the host goes to ${p.containerIp}:${p.containerPort} in the container` });
  }
  return {
    mode: 'bridge',
    says: 'a network namespace of its own, plugged into a bridge on the host by a veth pair (network_namespaces(7), veth(4))',
    interfaces,
  };
}
