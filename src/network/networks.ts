/**
 * Networks as Docker users know them, without a daemon: the default
 * "bridge" network and user-defined ones, each a Linux bridge with a subnet
 * of its own; a container on them gets, when it starts, an address per
 * network (the database's allocator), a veth into each bridge, its
 * /etc/hosts, /etc/resolv.conf and /etc/hostname, and its published ports
 * in moby-dick's nftables table. When it stops (container-exited), is
 * removed, or is found dead (`ps`), all of that is released.
 *
 * Order at start (engine.ts): prepare() before the runtime's create
 * (addresses, ports, files), plug() once the container's process exists
 * and waits for start (its network namespace is the one the runtime made),
 * then the start. Host-wide changes (bridges, the nftables table, other
 * containers' hosts files) happen under one lock, RUN_ROOT/network.lock (the
 * engine's run root: MOBY_DICK_RUN_ROOT, /run/moby-dick/engine for the
 * default store, else STORE/run; engine/paths.ts).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { MobyDickError } from '../errors.js';
import type { EventRecorder } from '../util/event-log.js';
import { nativeAddon } from '../helper/native-addon.js';
import { type DnsSettings, type HostEntry, hostsFile, hostsLines, parseAddHost, resolvConf } from './container-files.js';
import { hostRoutes } from './host-routes.js';
import { ephemeralRange, hostPortBound } from './host-ports.js';
import { addVeth, deleteLink, ensureBridge, linkExists, removeInside } from './links.js';
import { bridgeName, type NetConfig, netConfig, vethName } from './net-config.js';
import { deleteScript, rulesetScript } from './nft-ruleset.js';
import { type EndpointRecord, NetworkTable, type NetworkRecord, type PublishedPort, checkAddressIn } from './network-table.js';
import type { PortBinding } from './port-spec.js';
import { defaultPool, formatIp, formatSubnet, freeSubnet, hostRange, macFor, mask, overlaps, parseIp, parseSubnet, type Subnet } from './subnet.js';
import { runTool } from './tool.js';

export const DEFAULT_NETWORK = 'bridge';

/** How a container is networked, as the user asked (kept in its record). */
export interface ContainerNetworking {
  /** bridge: on NETWORKS; none: only a down lo; host: the host's; container: CONTAINER's namespace; pasta: a rootless container's own namespace through pasta (rootless/pasta.ts) */
  mode: 'bridge' | 'none' | 'host' | 'container' | 'pasta';
  /** the container whose network it shares (mode container), by ID */
  container?: string;
  /** the networks it is on (mode bridge), the first one carrying the default route */
  networks: { id: string; aliases: string[] }[];
  ports: PortBinding[];
  dns: DnsSettings;
  /** --add-host, as given */
  extraHosts: string[];
}

/** What prepare() needs to know of a container. */
export interface NetContainer {
  id: string;
  name: string;
  hostname: string;
  net: ContainerNetworking;
  /** where its hosts, resolv.conf and hostname files go */
  dir: string;
}

export interface NetworkCreate {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface ContainerFiles {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

export function containerFiles(dir: string): ContainerFiles {
  return { hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf'), hostname: join(dir, 'hostname') };
}

export class Networks {
  readonly table: NetworkTable;

  readonly config: NetConfig;

  /**
   * The store's names are the ones of the process that first used its
   * networks (recorded in the database): a monitor's `container-exited`
   * runs with an empty environment and must still find the same table.
   */
  /** the host-wide lock of the networks' changes, under the run root */
  private readonly lockPath: string;

  /** a file saying the nftables table was made since the boot (the run root is gone at boot, as the table is) */
  private readonly syncedMark: string;

  constructor(
    db: Database,
    private readonly runDir: string,
    config: NetConfig = netConfig(),
    /** where create and destroy are recorded (the store's events) */
    private readonly events: EventRecorder = () => {},
    /** takes the host-wide network lock: an exclusive flock on PATH, held by the fd it returns (the addon's by default; tests give their own) */
    private readonly lockFile: (path: string) => number = (path) => nativeAddon().lock(path),
  ) {
    this.table = new NetworkTable(db);
    const stored = () => (db.prepare("SELECT value FROM settings WHERE key = 'net-prefix'").get() as { value: string } | undefined)?.value;
    let prefix = stored();
    if (prefix === undefined) {
      db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES ('net-prefix', ?)").run(config.prefix);
      prefix = stored()!;
    }
    this.config = prefix === config.prefix ? config : netConfig({ ...process.env, MOBY_DICK_NET_PREFIX: prefix });
    this.lockPath = join(runDir, 'network.lock');
    this.syncedMark = join(runDir, `nft-${this.config.table}.synced`);
  }

  /** FN holding the host-wide network lock. */
  private locked<T>(fn: () => T): T {
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    const fd = this.lockFile(this.lockPath);
    try {
      return fn();
    } finally {
      closeSync(fd);
    }
  }

  /** Subnets in use: the host's routes and every network of this store. */
  private takenSubnets(): Subnet[] {
    return [...hostRoutes(), ...this.table.all().map((n) => parseSubnet(n.subnet))];
  }

  private newNetwork(o: NetworkCreate, id: string, bridge: string, isDefault: boolean): NetworkRecord {
    let subnet: Subnet;
    if (o.subnet !== undefined) {
      subnet = parseSubnet(o.subnet);
      const clash = this.table.all().find((n) => overlaps(parseSubnet(n.subnet), subnet));
      if (clash) throw new MobyDickError('USAGE', `Pool overlaps with other one on this address space: ${o.subnet} (network ${clash.name})`, { subject: o.subnet });
    } else {
      const free = freeSubnet(defaultPool(), this.takenSubnets());
      if (!free) throw new MobyDickError('NETWORK', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', { hint: 'give one with --subnet' });
      subnet = free;
    }
    const gateway = o.gateway ?? formatIp(hostRange(subnet).first);
    checkAddressIn(formatSubnet(subnet), gateway, 'gateway');
    return {
      id,
      name: o.name,
      created: new Date().toISOString(),
      driver: 'bridge',
      subnet: formatSubnet(subnet),
      gateway,
      bridge,
      internal: o.internal === true,
      labels: o.labels ?? {},
      isDefault,
    };
  }

  /** `network create`: recorded now; its bridge is made when a container first needs it. */
  create(o: NetworkCreate): NetworkRecord {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) throw new MobyDickError('USAGE', `invalid network name ${o.name}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { subject: o.name });
    if (['bridge', 'host', 'none'].includes(o.name)) throw new MobyDickError('USAGE', `${o.name} is a pre-defined network and cannot be created`, { subject: o.name });
    const id = randomBytes(32).toString('hex');
    return this.locked(() => {
      const n = this.newNetwork(o, id, bridgeName(this.config, id), false);
      this.table.add(n);
      this.events('network', 'create', n.id, { name: n.name, type: 'bridge' });
      return n;
    });
  }

  /** The default network's record, made on first use (from "bip" in the config file, or a free subnet). */
  defaultNetwork(): NetworkRecord {
    const found = this.table.tryFind(DEFAULT_NETWORK);
    if (found) return found;
    return this.locked(() => {
      const again = this.table.tryFind(DEFAULT_NETWORK);
      if (again) return again;
      let o: NetworkCreate = { name: DEFAULT_NETWORK };
      if (this.config.bip) {
        const [gw, bits] = this.config.bip.split('/');
        const ip = parseIp(gw ?? '');
        const len = Number(bits);
        if (ip === undefined || !Number.isInteger(len) || len < 1 || len > 30) {
          throw new MobyDickError('INVALID_CONFIG', `"bip" must be GATEWAY/LENGTH, e.g. 172.26.0.1/16, not ${this.config.bip}`, { subject: this.config.bip });
        }
        o = { ...o, subnet: `${formatIp((ip & mask(len)) >>> 0)}/${len}`, gateway: gw! };
      }
      const n = this.newNetwork(o, randomBytes(32).toString('hex'), this.config.defaultBridge, true);
      this.table.add(n);
      return n;
    });
  }

  /** A network by name or ID; "bridge" is made on first use. */
  find(ref: string): NetworkRecord {
    return ref === DEFAULT_NETWORK ? this.defaultNetwork() : this.table.find(ref);
  }

  list(): NetworkRecord[] {
    this.defaultNetwork();
    return this.table.all();
  }

  /** `network rm`: refused while a running container is on it. */
  remove(ref: string): NetworkRecord {
    const n = this.table.find(ref);
    if (n.isDefault) throw new MobyDickError('USAGE', `${n.name} is a pre-defined network and cannot be removed`, { subject: ref });
    this.locked(() => {
      const users = this.table.endpoints({ networkId: n.id });
      if (users.length) {
        throw new MobyDickError('USAGE', `error while removing network: network ${n.name} id ${n.id} has active endpoints`, { subject: ref, hint: 'stop or disconnect its containers first' });
      }
      this.table.remove(n.id);
      deleteLink(n.bridge);
      this.syncRules();
    });
    this.events('network', 'destroy', n.id, { name: n.name, type: 'bridge' });
    return n;
  }

  /**
   * `network prune`: user networks no running container is on; and the
   * default bridge's interface when nothing uses it (its record stays, as
   * Docker's "bridge" does), so that nothing of moby-dick is left on the host.
   */
  prune(inUse: (networkId: string) => boolean): NetworkRecord[] {
    return this.locked(() => {
      const removed: NetworkRecord[] = [];
      for (const n of this.table.all()) {
        if (this.table.endpoints({ networkId: n.id }).length) continue;
        if (!n.isDefault) {
          if (inUse(n.id)) continue; // a stopped container names it: it starts there again
          this.table.remove(n.id);
          removed.push(n);
          this.events('network', 'destroy', n.id, { name: n.name, type: 'bridge' });
        }
        deleteLink(n.bridge);
      }
      this.syncRules();
      return removed;
    });
  }

  /**
   * The nftables table from the database: the networks whose bridge exists
   * and every published port; no table at all when no bridge exists (and
   * then no mark that it was made either). Call under the lock.
   */
  private syncRules(): void {
    const networks = this.table.all().filter((n) => linkExists(n.bridge));
    if (!networks.length) {
      runTool('nft', ['-f', '-'], deleteScript(this.config.table), `removing the nftables table ${this.config.table}`);
      rmSync(this.syncedMark, { force: true });
      return;
    }
    const script = rulesetScript({ table: this.config.table, networks: networks.map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal })), ports: this.table.ports() });
    runTool('nft', ['-f', '-'], script, `updating the nftables table ${this.config.table}`);
    writeFileSync(this.syncedMark, '');
  }

  /** The bridge of N, made if missing (after a reboot, or its first use). True when it was made. */
  private ensureBridge(n: NetworkRecord): boolean {
    if (linkExists(n.bridge)) return false;
    return ensureBridge(n.bridge, n.gateway, parseSubnet(n.subnet).bits);
  }

  /**
   * Before the container's create: addresses on its networks, its published
   * ports, its bridges, its hosts/resolv.conf/hostname files (every mode
   * gets the files). Returns the files to bind into it.
   */
  prepare(c: NetContainer): ContainerFiles {
    const files = containerFiles(c.dir);
    writeFileSync(files.hostname, `${c.hostname}\n`);
    const hostResolv = readOr('/etc/resolv.conf', '');
    writeFileSync(files.resolvConf, resolvConf(hostResolv, c.net.dns, c.net.mode === 'host'));
    if (c.net.mode !== 'bridge') {
      const extra = c.net.extraHosts.map((h) => parseAddHost(h, undefined));
      const own = c.net.mode === 'host' ? [] : [{ ip: '127.0.0.1', names: [c.hostname] }];
      // the host's network: the host's hosts file, as Docker copies it
      writeFileSync(files.hosts, c.net.mode === 'host' ? readOr('/etc/hosts', '') + hostsLines(extra) : hostsFile(extra, own, []));
      return files;
    }
    const networks = c.net.networks.map((a) => ({ n: this.table.find(a.id), aliases: a.aliases }));
    this.release(c.id); // what an earlier run left (a killed monitor, a reboot)
    try {
      this.locked(() => {
        let changed = false;
        for (const { n } of networks) changed = this.ensureBridge(n) || changed;
        const endpoints = this.table.transaction(() =>
          networks.map(({ n, aliases }, i) => this.addEndpoint(c, n, aliases, `eth${i}`)),
        );
        const first = endpoints[0];
        if (first && c.net.ports.length) {
          this.table.transaction(() => this.table.addPorts(c.id, first.ip, c.net.ports, ephemeralRange(), (p) => !hostPortBound(p.protocol, p.hostPort)));
          changed = true;
        }
        this.syncRulesIf(changed);
        this.writeHosts(c.id, files.hosts, c.hostname, c.net.extraHosts);
      });
    } catch (e) {
      this.release(c.id);
      throw e;
    }
    return files;
  }

  /** C's address on N (the lowest free one) as interface IFNAME, recorded; call inside a transaction. */
  private addEndpoint(c: NetContainer, n: NetworkRecord, aliases: string[], ifname: string): EndpointRecord {
    const ip = this.table.freeAddress(n);
    const e: EndpointRecord = {
      networkId: n.id,
      containerId: c.id,
      ip,
      prefixLen: parseSubnet(n.subnet).bits,
      gateway: n.gateway,
      mac: macFor(parseIp(ip)!),
      ifname,
      hostVeth: vethName(this.config, c.id, n.id),
      // the default network has no names, as in Docker
      names: n.isDefault ? [] : [c.name, ...aliases, c.id.slice(0, 12)],
      aliases,
    };
    this.table.addEndpoint(e);
    return e;
  }

  /**
   * The table made again when CHANGED, or when it has not been since the
   * boot (the mark in the run root, gone at boot as the table is, says it was).
   */
  private syncRulesIf(changed: boolean): void {
    if (!changed && existsSync(this.syncedMark)) return;
    this.syncRules();
  }

  /** Rewrites the hosts file of container ID (in place: it is bound into the container). */
  private writeHosts(id: string, path: string, hostname: string, extraHosts: readonly string[]): void {
    const mine = this.table.endpoints({ containerId: id });
    const gateway = mine[0]?.gateway;
    const extra = extraHosts.map((h) => parseAddHost(h, gateway));
    const own: HostEntry[] = mine.map((e) => ({ ip: e.ip, names: [hostname, ...e.names] }));
    const peers: HostEntry[] = [];
    for (const e of mine) {
      if (e.names.length === 0) continue; // the default network: no names
      for (const p of this.table.endpoints({ networkId: e.networkId })) {
        if (p.containerId !== id) peers.push({ ip: p.ip, names: p.names });
      }
    }
    writeFileSync(path, hostsFile(extra, own, peers));
  }

  /** After the runtime's create: the veths into the container's network namespace (PID's). */
  plug(c: NetContainer, pid: number, refreshPeers: (networkId: string, exceptId: string) => void): void {
    const mine = this.table.endpoints({ containerId: c.id }).sort((a, b) => a.ifname.localeCompare(b.ifname));
    for (const e of mine) {
      const n = this.table.find(e.networkId);
      addVeth({ pid, hostVeth: e.hostVeth, bridge: n.bridge, ifname: e.ifname, mac: e.mac, ip: e.ip, bits: e.prefixLen, ...(e.ifname === 'eth0' ? { gateway: e.gateway } : {}) }, c.id);
    }
    for (const e of mine) if (e.names.length) refreshPeers(e.networkId, c.id);
  }

  /**
   * Everything the container holds: its veths (if its namespace still
   * exists), addresses, ports. Idempotent. Returns the user networks whose
   * other containers must have their hosts files rewritten.
   */
  release(id: string): string[] {
    const mine = this.table.endpoints({ containerId: id });
    const hadPorts = this.table.ports(id).length > 0;
    if (!mine.length && !hadPorts) return [];
    return this.locked(() => {
      for (const e of mine) deleteLink(e.hostVeth);
      this.table.transaction(() => {
        this.table.removeEndpoints(id);
        this.table.removePorts(id);
      });
      if (hadPorts) this.syncRules();
      return mine.filter((e) => e.names.length).map((e) => e.networkId);
    });
  }

  /** The hosts files of the running containers on NETWORK_ID (but EXCEPT), after one joined or left. */
  refreshHosts(networkId: string, except: string, fileOf: (containerId: string) => { path: string; hostname: string; extraHosts: readonly string[] } | undefined): void {
    this.locked(() => {
      for (const p of this.table.endpoints({ networkId })) {
        if (p.containerId === except) continue;
        const f = fileOf(p.containerId);
        if (f && existsSync(f.path)) this.writeHosts(p.containerId, f.path, f.hostname, f.extraHosts);
      }
    });
  }

  /** Rewrites container ID's own hosts file. */
  rewriteHostsOf(id: string, f: { path: string; hostname: string; extraHosts: readonly string[] }): void {
    if (existsSync(f.path)) this.locked(() => this.writeHosts(id, f.path, f.hostname, f.extraHosts));
  }

  /** `network disconnect` of a running container: its interface on N goes. */
  unplug(id: string, pid: number, n: NetworkRecord): void {
    const e = this.table.endpoints({ containerId: id }).find((x) => x.networkId === n.id);
    if (!e) return;
    try {
      removeInside(pid, e.ifname, id);
    } finally {
      this.locked(() => {
        deleteLink(e.hostVeth);
        this.table.removeEndpoints(id, n.id);
      });
    }
  }

  /** `network connect` of a running container: an address and an interface on N (eth1, eth2, ...). */
  connectRunning(c: NetContainer, pid: number, n: NetworkRecord, aliases: string[]): EndpointRecord {
    const e = this.locked(() => {
      this.syncRulesIf(this.ensureBridge(n));
      return this.table.transaction(() => {
        const taken = new Set(this.table.endpoints({ containerId: c.id }).map((x) => x.ifname));
        let i = 0;
        while (taken.has(`eth${i}`)) i++;
        return this.addEndpoint(c, n, aliases, `eth${i}`);
      });
    });
    try {
      addVeth({ pid, hostVeth: e.hostVeth, bridge: n.bridge, ifname: e.ifname, mac: e.mac, ip: e.ip, bits: e.prefixLen }, c.id);
    } catch (err) {
      this.locked(() => this.table.removeEndpoints(c.id, n.id));
      throw err;
    }
    return e;
  }

  endpoints(id: string): EndpointRecord[] {
    return this.table.endpoints({ containerId: id });
  }

  ports(id: string): PublishedPort[] {
    return this.table.ports(id);
  }

  /** Containers holding endpoints or ports (to release those of containers found not running). */
  holders(): Set<string> {
    return new Set([...this.table.endpoints().map((e) => e.containerId), ...this.table.ports().map((p) => p.containerId)]);
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
