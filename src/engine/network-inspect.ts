/**
 * The network parts of `inspect` with Docker's field names: HostConfig's
 * NetworkMode, PortBindings, Dns..., ExtraHosts; Config.ExposedPorts; and
 * NetworkSettings (the top-level IPAddress, Gateway and MacAddress are the
 * default bridge network's, as in Docker; Networks has one entry per
 * network, with an address while the container runs). Pure.
 */
import { createHash } from 'node:crypto';
import type { EndpointRecord, NetworkRecord, PublishedPort } from '../network/network-table.js';
import type { ContainerRecord } from './container-table.js';

export interface NetworkFacts {
  /** the container's endpoints now (empty when it does not run) */
  endpoints: readonly EndpointRecord[];
  ports: readonly PublishedPort[];
  /** its networks, by ID */
  networks: ReadonlyMap<string, NetworkRecord>;
  /** its init, whose network namespace it is (0 when it does not run) */
  pid: number;
}

export function networkMode(r: ContainerRecord, networks: ReadonlyMap<string, NetworkRecord>): string {
  const net = r.net;
  if (!net) return r.engine.network.mode === 'host' ? 'host' : 'none';
  if (net.mode === 'container') return `container:${net.container}`;
  if (net.mode !== 'bridge') return net.mode;
  const first = net.networks[0];
  return (first && networks.get(first.id)?.name) ?? 'bridge';
}

type Binding = { HostIp: string; HostPort: string };

export function portBindings(r: ContainerRecord): Record<string, Binding[]> {
  const out: Record<string, Binding[]> = {};
  for (const p of r.net?.ports ?? []) {
    (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' });
  }
  return out;
}

export function networkHostConfig(r: ContainerRecord, facts: NetworkFacts): Record<string, unknown> {
  return {
    NetworkMode: networkMode(r, facts.networks),
    PortBindings: portBindings(r),
    PublishAllPorts: false,
    Dns: r.net?.dns.servers ?? [],
    DnsSearch: r.net?.dns.search ?? [],
    DnsOptions: r.net?.dns.options ?? [],
    ExtraHosts: r.net?.extraHosts ?? null,
  };
}

export function exposedPorts(r: ContainerRecord): Record<string, Record<string, never>> {
  const out: Record<string, Record<string, never>> = {};
  for (const p of r.exposedPorts ?? []) out[p] = {};
  for (const p of r.net?.ports ?? []) out[`${p.containerPort}/${p.protocol}`] = {};
  return out;
}

export function networkSettings(r: ContainerRecord, facts: NetworkFacts): Record<string, unknown> {
  const ports: Record<string, Binding[] | null> = {};
  // a rootless container's pasta forwards its ports while it runs (no endpoint of a bridge)
  if (facts.endpoints.length || (r.net?.mode === 'pasta' && facts.pid)) {
    for (const key of Object.keys(exposedPorts(r))) ports[key] = null;
    for (const p of facts.ports) (ports[`${p.containerPort}/${p.protocol}`] ??= [])!.push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  const networks: Record<string, unknown> = {};
  for (const a of r.net?.mode === 'bridge' ? r.net.networks : []) {
    const n = facts.networks.get(a.id);
    const e = facts.endpoints.find((x) => x.networkId === a.id);
    networks[n?.name ?? a.id] = {
      IPAMConfig: null,
      Links: null,
      Aliases: a.aliases.length ? a.aliases : null,
      NetworkID: a.id,
      EndpointID: e ? `${e.containerId.slice(0, 32)}${a.id.slice(0, 32)}` : '',
      Gateway: e?.gateway ?? '',
      IPAddress: e?.ip ?? '',
      IPPrefixLen: e?.prefixLen ?? 0,
      MacAddress: e?.mac ?? '',
      DNSNames: e && e.names.length ? e.names : null,
    };
  }
  if (r.net?.mode === 'pasta') networks.pasta = { NetworkID: 'pasta' };
  if (r.net?.mode === 'host') networks.host = { NetworkID: 'host' };
  if (r.net?.mode === 'none' || !r.net) networks.none = { NetworkID: 'none' };
  const def = facts.endpoints.find((e) => facts.networks.get(e.networkId)?.isDefault);
  return {
    Bridge: '',
    SandboxKey: (facts.endpoints.length || r.net?.mode === 'pasta') && facts.pid ? `/proc/${facts.pid}/ns/net` : '',
    Ports: ports,
    Gateway: def?.gateway ?? '',
    IPAddress: def?.ip ?? '',
    IPPrefixLen: def?.prefixLen ?? 0,
    MacAddress: def?.mac ?? '',
    Networks: networks,
  };
}

/** The ID of a network Docker lists beside the ones it made (host, none): no bridge, no record; the same for every store. */
export function pseudoNetworkId(name: string): string {
  return createHash('sha256').update(`moby-dick-network/${name}`).digest('hex');
}

/**
 * Docker's network inspect document of N, with Containers from its
 * ENDPOINTS (the running containers on it), each named by NAME_OF.
 */
export function networkDocument(n: NetworkRecord, endpoints: readonly EndpointRecord[], nameOf: (containerId: string) => string) {
  const containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }> = {};
  for (const ep of endpoints) {
    containers[ep.containerId] = { Name: nameOf(ep.containerId), EndpointID: `${ep.containerId.slice(0, 32)}${n.id.slice(0, 32)}`, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: '' };
  }
  // Options are the driver options a network was created with, as dockerd's:
  // only the default bridge has them (its bridge's name); a user network made
  // without any has none (Compose compares them with its file's driver_opts,
  // and any other key is "needs to be recreated")
  const options: Record<string, string> = n.isDefault ? { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': n.bridge } : {};
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local' as const,
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {} as Record<string, string>, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: options,
    Labels: n.labels,
  };
}
