/**
 * A container's networking: --network and its friends resolved at create,
 * the network files and namespace before the runtime's create, network
 * connect/disconnect, what inspect shows, and releasing what a container
 * held (its veths, addresses, ports; its peers' hosts files then).
 */
import { MobyDickError } from '../errors.js';
import { parseAddHost } from '../network/container-files.js';
import type { NetworkRecord } from '../network/network-table.js';
import { type ContainerFiles, type ContainerNetworking, containerFiles } from '../network/networks.js';
import { publishedPorts } from '../network/port-spec.js';
import { parseIp } from '../network/subnet.js';
import { ephemeralRange, hostPortBound } from '../network/host-ports.js';
import { checkRootlessPorts } from '../network/pasta-args.js';
import { startPasta, stopPasta, unprivilegedPortFloor } from '../network/pasta.js';
import { isRootless } from '../rootless/rootless.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRecord } from './container-table.js';
import type { CreateRequest } from './create-request.js';
import type { ContainerView, EngineCore } from './engine-core.js';
import type { NetworkFacts } from './network-inspect.js';
import type { ContainerPaths } from './paths.js';
import type { BindMount, EngineContainer } from '../spec/spec-builder.js';

/** --network and its friends, checked and resolved to IDs. */
export function resolveNetworking(e: EngineCore, req: CreateRequest, exposed: readonly string[]): ContainerNetworking {
  const base = {
    networks: [],
    ports: [],
    dns: { servers: [...req.dns], search: [...req.dnsSearch], options: [...req.dnsOptions] },
    extraHosts: [...req.addHost],
  };
  for (const h of req.addHost) parseAddHost(h, '0.0.0.0'); // its syntax, before anything is made
  for (const d of req.dns) if (parseIp(d) === undefined) throw new MobyDickError('USAGE', `invalid IP address: ${d}`, { subject: d, hint: '--dns takes an IPv4 address' });
  const mode = req.network === 'default' ? 'bridge' : req.network;
  if (mode === 'bridge' && (e.options.rootless ?? isRootless())) {
    // a rootless container's default network: its own namespace through pasta, -p forwarded by it
    const ports = publishedPorts(req.publish, req.publishAll, exposed, req.publishAllIp);
    checkRootlessPorts(ports, unprivilegedPortFloor());
    return { ...base, mode: 'pasta', ports };
  }
  if (mode === 'none' || mode === 'host') {
    if (req.publish.length || req.publishAll) e.options.warn?.(`Published ports are discarded when using ${mode} network mode`);
    return { ...base, mode };
  }
  if (mode.startsWith('container:')) {
    if (req.publish.length || req.publishAll) throw new MobyDickError('USAGE', 'conflicting options: port publishing and the container type network mode', { subject: mode });
    if (req.hostname !== undefined) throw new MobyDickError('USAGE', 'conflicting options: hostname and the network mode', { subject: mode });
    return { ...base, mode: 'container', container: e.containers.find(mode.slice('container:'.length)).id };
  }
  const n = e.networks.find(mode);
  if (req.networkAliases.length && n.isDefault) {
    throw new MobyDickError('USAGE', 'network-scoped alias is supported only for containers in user defined networks', { subject: req.networkAliases[0]! });
  }
  return { ...base, mode: 'bridge', networks: [{ id: n.id, aliases: [...req.networkAliases] }], ports: publishedPorts(req.publish, req.publishAll, exposed, req.publishAllIp) };
}

/** What container ID's hosts file is made of (for rewriting it when a peer comes or goes). */
function hostsOf(e: EngineCore, id: string): { path: string; hostname: string; extraHosts: readonly string[] } | undefined {
  try {
    const r = e.containers.find(id);
    return { path: containerFiles(e.paths(id).dir).hosts, hostname: r.engine.hostname, extraHosts: r.net?.extraHosts ?? [] };
  } catch {
    return undefined;
  }
}

/** The hosts files of NETWORK_ID's containers but EXCEPT, rewritten. */
export function refreshPeers(e: EngineCore, networkId: string, except: string): void {
  e.networks.refreshHosts(networkId, except, (cid) => hostsOf(e, cid));
}

/** `network connect`: on the network from its next start, and now if it runs. */
export async function connect(e: EngineCore, ref: string, networkRef: string, aliases: readonly string[]): Promise<void> {
  const found = e.containers.find(ref);
  const n = e.networks.find(networkRef);
  await e.locked(found.id, () => {
    const record = e.containers.find(found.id);
    const net = record.net;
    if (!net || net.mode !== 'bridge') {
      throw new MobyDickError('USAGE', `container ${record.name} cannot be connected to a network: its network mode is ${net?.mode ?? 'none'}`, { container: ref });
    }
    if (net.networks.some((a) => a.id === n.id)) {
      throw new MobyDickError('USAGE', `endpoint with name ${record.name} already exists in network ${n.name}`, { container: ref, subject: n.name });
    }
    if (aliases.length && n.isDefault) throw new MobyDickError('USAGE', 'network-scoped alias is supported only for containers in user defined networks', { subject: aliases[0]! });
    const v = e.view(record);
    if (v.state.Running) {
      e.networks.connectRunning({ id: record.id, name: record.name, hostname: record.engine.hostname, net, dir: v.paths.dir }, v.pid, n, [...aliases]);
    }
    net.networks.push({ id: n.id, aliases: [...aliases] });
    e.containers.save(record);
    e.store.events.record('network', 'connect', n.id, { container: record.id, name: n.name, type: 'bridge' });
    if (v.state.Running) rewriteHosts(e, record, n.id);
  });
}

/** `network disconnect`: off the network now and at its next starts. */
export async function disconnect(e: EngineCore, ref: string, networkRef: string): Promise<void> {
  const found = e.containers.find(ref);
  const n = e.networks.find(networkRef);
  await e.locked(found.id, () => {
    const record = e.containers.find(found.id);
    const net = record.net;
    if (!net || net.mode !== 'bridge' || !net.networks.some((a) => a.id === n.id)) {
      throw new MobyDickError('USAGE', `container ${record.id} is not connected to network ${n.name}`, { container: ref, subject: n.name });
    }
    const v = e.view(record);
    if (v.state.Running) e.networks.unplug(record.id, v.pid, n);
    net.networks = net.networks.filter((a) => a.id !== n.id);
    e.containers.save(record);
    e.store.events.record('network', 'disconnect', n.id, { container: record.id, name: n.name, type: 'bridge' });
    if (v.state.Running) rewriteHosts(e, record, n.id);
  });
}

/** RECORD's own hosts file and those of its peers on NETWORK_ID. */
function rewriteHosts(e: EngineCore, record: ContainerRecord, networkId: string): void {
  e.networks.refreshHosts(networkId, '', (cid) => hostsOf(e, cid));
  const own = hostsOf(e, record.id);
  if (own) e.networks.rewriteHostsOf(record.id, own);
}

/** What `inspect` and `port` show of a container's networking. */
export function networkFacts(e: EngineCore, v: ContainerView): NetworkFacts {
  const net = v.record.net;
  const networks = new Map<string, NetworkRecord>();
  if (net?.mode === 'pasta') return { endpoints: [], ports: v.state.Running ? e.networks.ports(v.record.id) : [], networks, pid: v.pid };
  if (!net || net.mode !== 'bridge') return { endpoints: [], ports: [], networks, pid: v.pid };
  for (const a of net.networks) {
    const n = e.networks.table.tryFind(a.id);
    if (n) networks.set(a.id, n);
  }
  const live = v.state.Running;
  return { endpoints: live ? e.networks.endpoints(v.record.id) : [], ports: live ? e.networks.ports(v.record.id) : [], networks, pid: v.pid };
}

/** Everything container ID holds on networks: veths, addresses, ports; its peers' hosts files then. */
export function releaseNetwork(e: EngineCore, id: string): void {
  if (e.options.rootless ?? isRootless()) {
    stopPasta(pastaPidFile(e, id));
    e.networks.table.transaction(() => e.networks.table.removePorts(id));
    return;
  }
  for (const n of e.networks.release(id)) {
    refreshPeers(e, n, id);
    e.store.events.record('network', 'disconnect', n, { container: id, name: networkName(e, n), type: 'bridge' });
  }
}

/** Network ID's name for its events (none when it is gone meanwhile). */
function networkName(e: EngineCore, id: string): string | undefined {
  try {
    return e.networks.find(id).name;
  } catch {
    return undefined;
  }
}

/**
 * Releases the network resources of containers that hold some but do not
 * run: their monitor was killed, or the host went down, so no
 * container-exited ran.
 */
export async function releaseStaleNetworks(e: EngineCore, exists: (id: string) => boolean): Promise<void> {
  const holders = e.networks.holders();
  // a rootless container's pasta: found by its pid file, also without ports (this pasta outlives its namespace)
  if (e.options.rootless ?? isRootless()) for (const r of e.containers.all()) if (existsSync(pastaPidFile(e, r.id))) holders.add(r.id);
  for (const id of holders) {
    if (!exists(id)) {
      releaseNetwork(e, id);
      continue;
    }
    const notRunning = () => !e.view(e.containers.find(id)).state.Running;
    // the lock only for the few that look stopped: a start in progress holds it, and is seen running after
    if (notRunning()) await e.locked(id, () => notRunning() && releaseNetwork(e, id));
  }
}

/**
 * Before the runtime's create: the container's network files, and the
 * network namespace its spec names (a new one unless it joins another's).
 */
export function prepareNetwork(e: EngineCore, record: ContainerRecord, paths: ContainerPaths): { files?: ContainerFiles; netns: EngineContainer['network'] } {
  const net = record.net;
  if (!net) return { netns: record.engine.network };
  if (net.mode === 'container') {
    const other = e.view(e.containers.find(net.container!));
    if (!other.state.Running) {
      throw new MobyDickError('USAGE', `cannot join network namespace of a non running container: ${other.record.id}`, { container: record.name, hint: `start ${other.record.name} first` });
    }
    return { files: containerFiles(other.paths.dir), netns: { mode: 'path', path: `/proc/${other.pid}/ns/net` } };
  }
  const files = e.networks.prepare({ id: record.id, name: record.name, hostname: record.engine.hostname, net, dir: paths.dir });
  return { files, netns: record.engine.network };
}

/** Where the pid of container ID's pasta is kept. */
function pastaPidFile(e: EngineCore, id: string): string {
  return join(e.paths(id).dir, 'pasta.pid');
}

/** After the runtime's create: a rootless container's pasta for its namespaces (process PID), its host ports recorded. */
export function startForwarder(e: EngineCore, record: ContainerRecord, pid: number): void {
  if (record.net?.mode !== 'pasta') return;
  const table = e.networks.table;
  const ports = table.transaction(() => table.addPorts(record.id, '', record.net!.ports, ephemeralRange(), (p) => !hostPortBound(p.protocol, p.hostPort)));
  startPasta(record.name, pid, ports, pastaPidFile(e, record.id));
}

/** After the runtime's create: a bridge container's endpoints plugged into its namespace (process PID). */
export function plugNetwork(e: EngineCore, record: ContainerRecord, paths: ContainerPaths, pid: number): void {
  if (record.net?.mode !== 'bridge') return;
  e.networks.plug({ id: record.id, name: record.name, hostname: record.engine.hostname, net: record.net, dir: paths.dir }, pid, (n, except) => refreshPeers(e, n, except));
  for (const a of record.net.networks) e.store.events.record('network', 'connect', a.id, { container: record.id, name: networkName(e, a.id), type: 'bridge' });
}

/** The network files a container gets, where it has not bound something of its own there. */
export function networkFileBinds(files: ContainerFiles | undefined, c: EngineContainer): BindMount[] {
  if (!files) return [];
  const taken = new Set([...c.binds, ...c.tmpfs, ...(c.filesystems ?? [])].map((m) => m.destination));
  const all: BindMount[] = [
    { source: files.resolvConf, destination: '/etc/resolv.conf', readOnly: false },
    { source: files.hostname, destination: '/etc/hostname', readOnly: false },
    { source: files.hosts, destination: '/etc/hosts', readOnly: false },
  ];
  return all.filter((b) => !taken.has(b.destination));
}
