/**
 * Networks, endpoints and published ports in the store's database. The
 * database decides every race: a network name is UNIQUE, an address is
 * UNIQUE within its network and a host port within its protocol, and each
 * allocation runs in one IMMEDIATE transaction, so twenty `run`s at once
 * get twenty different addresses.
 */
import type { Database } from 'better-sqlite3';
import { MobyDickError } from '../errors.js';
import type { PortBinding } from './port-spec.js';
import { formatIp, hostRange, parseIp, parseSubnet } from './subnet.js';

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  /** "bridge" for every network moby-dick makes */
  driver: 'bridge';
  subnet: string;
  gateway: string;
  /** the host's bridge interface */
  bridge: string;
  internal: boolean;
  labels: Record<string, string>;
  /** the default network ("bridge"): containers on it do not find each other by name, as in Docker */
  isDefault: boolean;
}

export interface EndpointRecord {
  networkId: string;
  containerId: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  /** the interface inside the container (eth0, eth1, ...) */
  ifname: string;
  /** its host end */
  hostVeth: string;
  /** names other containers find it by: its name, aliases, short ID */
  names: string[];
  aliases: string[];
}

export interface PublishedPort extends PortBinding {
  containerId: string;
  containerIp: string;
}

function notFound(ref: string): MobyDickError {
  return new MobyDickError('USAGE', `network ${ref} not found`, { subject: ref, hint: "see 'moby-dick network ls'" });
}

export class NetworkTable {
  constructor(private readonly db: Database) {}

  add(n: NetworkRecord): void {
    try {
      this.db.prepare('INSERT INTO networks (id, name, created_at, config) VALUES (?, ?, ?, ?)').run(n.id, n.name, Date.parse(n.created), JSON.stringify(n));
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' || (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new MobyDickError('USAGE', `network with name ${n.name} already exists`, { subject: n.name });
      }
      throw e;
    }
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }

  all(): NetworkRecord[] {
    return (this.db.prepare('SELECT config FROM networks ORDER BY created_at').all() as { config: string }[]).map((r) => JSON.parse(r.config) as NetworkRecord);
  }

  /** By name, full ID or unique ID prefix, as Docker finds networks. */
  find(ref: string): NetworkRecord {
    const row = this.db.prepare('SELECT config FROM networks WHERE id = ? OR name = ?').get(ref, ref) as { config: string } | undefined;
    if (row) return JSON.parse(row.config) as NetworkRecord;
    if (/^[a-f0-9]+$/.test(ref)) {
      const rows = this.db.prepare('SELECT config FROM networks WHERE substr(id, 1, ?) = ?').all(ref.length, ref) as { config: string }[];
      if (rows.length > 1) throw new MobyDickError('USAGE', `network ${ref} is ambiguous (${rows.length} matches found based on ID prefix)`, { subject: ref });
      if (rows[0]) return JSON.parse(rows[0].config) as NetworkRecord;
    }
    throw notFound(ref);
  }

  tryFind(ref: string): NetworkRecord | undefined {
    try {
      return this.find(ref);
    } catch {
      return undefined;
    }
  }

  /** FN in one IMMEDIATE transaction (it waits for other writers). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The lowest free address of NETWORK (after its gateway); call inside transaction(). */
  freeAddress(network: NetworkRecord, wanted?: string): string {
    const subnet = parseSubnet(network.subnet);
    const used = new Set((this.db.prepare('SELECT ip FROM endpoints WHERE network_id = ?').all(network.id) as { ip: string }[]).map((r) => r.ip));
    used.add(network.gateway);
    if (wanted !== undefined) {
      if (used.has(wanted)) throw new MobyDickError('NETWORK', `Address already in use: ${wanted} on network ${network.name}`, { subject: wanted });
      return wanted;
    }
    const { first, last } = hostRange(subnet);
    for (let ip = first; ip <= last; ip++) {
      const text = formatIp(ip);
      if (!used.has(text)) return text;
    }
    throw new MobyDickError('NETWORK', `no available IPv4 address on network ${network.name} (${network.subnet})`, { subject: network.name, hint: 'remove containers from it, or create a network with a larger --subnet' });
  }

  addEndpoint(e: EndpointRecord): void {
    this.db.prepare('INSERT INTO endpoints (network_id, container_id, ip, config) VALUES (?, ?, ?, ?)').run(e.networkId, e.containerId, e.ip, JSON.stringify(e));
  }

  endpoints(where: { networkId?: string; containerId?: string } = {}): EndpointRecord[] {
    const rows = (
      where.networkId !== undefined
        ? this.db.prepare('SELECT config FROM endpoints WHERE network_id = ?').all(where.networkId)
        : where.containerId !== undefined
          ? this.db.prepare('SELECT config FROM endpoints WHERE container_id = ?').all(where.containerId)
          : this.db.prepare('SELECT config FROM endpoints').all()
    ) as { config: string }[];
    return rows.map((r) => JSON.parse(r.config) as EndpointRecord);
  }

  removeEndpoints(containerId: string, networkId?: string): void {
    if (networkId === undefined) this.db.prepare('DELETE FROM endpoints WHERE container_id = ?').run(containerId);
    else this.db.prepare('DELETE FROM endpoints WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
  }

  /**
   * Records the container's published ports; a host port of 0 gets a free
   * one from RANGE. A port taken on the same address (or on every address)
   * is Docker's "port is already allocated". Call inside transaction().
   */
  addPorts(containerId: string, containerIp: string, ports: readonly PortBinding[], range: [number, number], isFree: (p: PortBinding) => boolean): PublishedPort[] {
    const taken = this.db.prepare('SELECT 1 FROM published_ports WHERE protocol = ? AND host_port = ? AND (host_ip = ? OR host_ip = \'\' OR ? = \'\')');
    const out: PublishedPort[] = [];
    const clash = (p: PortBinding) => taken.get(p.protocol, p.hostPort, p.hostIp, p.hostIp) !== undefined;
    for (const b of ports) {
      const p: PublishedPort = { ...b, containerId, containerIp };
      if (p.hostPort === 0) {
        const span = range[1] - range[0] + 1;
        const start = Math.floor(Math.random() * span);
        for (let i = 0; i < span; i++) {
          p.hostPort = range[0] + ((start + i) % span);
          if (!clash(p) && isFree(p)) break;
          p.hostPort = 0;
        }
        if (p.hostPort === 0) throw new MobyDickError('NETWORK', `no free host port in ${range[0]}-${range[1]} for ${b.containerPort}/${b.protocol}`, { subject: String(b.containerPort) });
      } else if (clash(p) || !isFree(p)) {
        throw new MobyDickError('NETWORK', `Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`, { subject: `${p.hostPort}/${p.protocol}`, hint: 'publish on another host port, or stop the container that has it' });
      }
      this.db.prepare('INSERT INTO published_ports (protocol, host_ip, host_port, container_id, config) VALUES (?, ?, ?, ?, ?)').run(p.protocol, p.hostIp, p.hostPort, containerId, JSON.stringify(p));
      out.push(p);
    }
    return out;
  }

  ports(containerId?: string): PublishedPort[] {
    const rows = (containerId === undefined ? this.db.prepare('SELECT config FROM published_ports').all() : this.db.prepare('SELECT config FROM published_ports WHERE container_id = ?').all(containerId)) as { config: string }[];
    return rows.map((r) => JSON.parse(r.config) as PublishedPort);
  }

  removePorts(containerId: string): number {
    return this.db.prepare('DELETE FROM published_ports WHERE container_id = ?').run(containerId).changes;
  }
}

/** An address of S's hosts or a clear error (for --ip and --gateway). */
export function checkAddressIn(subnetText: string, ip: string, what: string): void {
  const n = parseIp(ip);
  const s = parseSubnet(subnetText);
  const { first, last } = hostRange(s);
  if (n === undefined || n < first || n > last) throw new MobyDickError('USAGE', `${what} ${ip} is not a host address of subnet ${subnetText}`, { subject: ip });
}
