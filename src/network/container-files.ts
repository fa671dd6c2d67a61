/**
 * The /etc/hosts, /etc/resolv.conf and /etc/hostname a container sees, as
 * Docker writes them (each is a file of the container's own, bound into it).
 * On a user-defined network the hosts file also names every other running
 * container of that network (name, aliases and short ID): that is how
 * containers find each other by name here, without a DNS daemon. Pure.
 */
import { MobyDickError } from '../errors.js';

export interface HostEntry {
  ip: string;
  names: readonly string[];
}

const LOCALHOST = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

/** --add-host entries, then the container's own addresses, then its peers. */
export function hostsFile(extra: readonly HostEntry[], own: readonly HostEntry[], peers: readonly HostEntry[]): string {
  return LOCALHOST + hostsLines([...extra, ...own, ...peers]);
}

/** "IP\tNAME NAME...\n" for each of ENTRIES, a name once. */
export function hostsLines(entries: readonly HostEntry[]): string {
  return entries.map((e) => `${e.ip}\t${[...new Set(e.names)].join(' ')}\n`).join('');
}

/** "NAME:IP" of --add-host (Docker also takes "NAME=IP"; host-gateway is the network's gateway). */
export function parseAddHost(spec: string, gateway: string | undefined): HostEntry {
  const m = /^([^:=\s]+)[:=](.+)$/.exec(spec);
  if (!m) throw new MobyDickError('USAGE', `bad format for add-host: "${spec}"`, { subject: spec, hint: 'give NAME:IP' });
  const ip = m[2] === 'host-gateway' ? gateway : m[2];
  if (!ip) throw new MobyDickError('USAGE', `add-host ${spec}: host-gateway needs a bridge network`, { subject: spec });
  return { ip, names: [m[1]!] };
}

export interface DnsSettings {
  servers: readonly string[];
  search: readonly string[];
  options: readonly string[];
}

const LOOPBACK_SERVER = /^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$/;
/** Docker's fallback when nothing is left */
const FALLBACK_SERVERS = ['8.8.8.8', '8.8.4.4'];

/**
 * The container's resolv.conf from the host's: nameservers on loopback
 * cannot answer from another network namespace and are dropped (HOST_NET
 * keeps them: the container shares the host's loopback); --dns,
 * --dns-search and --dns-option replace the host's lines of their kind.
 */
export function resolvConf(host: string, dns: DnsSettings, hostNet: boolean): string {
  const lines = host.split('\n').filter((l) => l.trim() !== '');
  const kind = (l: string) => /^\s*(nameserver|search|domain|options)\b/.exec(l)?.[1];
  const keep = lines.filter((l) => {
    const k = kind(l);
    if (k === 'nameserver') return dns.servers.length === 0 && (hostNet || !LOOPBACK_SERVER.test(l));
    if (k === 'search' || k === 'domain') return dns.search.length === 0;
    if (k === 'options') return dns.options.length === 0;
    return !l.trimStart().startsWith('#');
  });
  const out = [...keep];
  for (const s of dns.servers) out.push(`nameserver ${s}`);
  if (dns.search.length) out.push(`search ${dns.search.join(' ')}`);
  if (dns.options.length) out.push(`options ${dns.options.join(' ')}`);
  if (!out.some((l) => kind(l) === 'nameserver')) for (const s of FALLBACK_SERVERS) out.push(`nameserver ${s}`);
  return `${out.join('\n')}\n`;
}
