/**
 * `moby-dick explain CONTAINER`: what a running container has, read from
 * the kernel rather than from the engine's records, side by side with the
 * host (this process): /proc/PID/ns/*, /proc/PID/status (CapEff, Seccomp,
 * NoNewPrivs), /proc/PID/cgroup and the limits in those cgroups,
 * /proc/PID/mountinfo, /proc/PID/net. Where Docker would have done
 * otherwise with the same flags, it says so. Reads go through READ, so the
 * parsing is unit-tested on fixed text.
 */
import { CAPABILITIES } from '../linux/capabilities.js';
import { capabilitySet } from '../spec/spec-builder.js';
import { NAMESPACES } from './explanation.js';

export type Read = (path: string) => string | null;

export interface LiveNamespace {
  kind: string;
  container: string;
  host: string;
  /** private: differs from the host's; shared: the host's own */
  state: 'private' | 'shared';
  says: string;
}

export interface LiveSide {
  capabilities: string[];
  /** the bounding set (CapBnd): what any program of it may ever hold, whatever its user */
  bounding: string[];
  /** /proc/PID/status Seccomp: 0 none, 1 strict, 2 filter */
  seccomp: 'none' | 'strict' | 'filter';
  noNewPrivs: boolean;
  /** each hierarchy's cgroup, "controllers:path" as /proc/PID/cgroup has it */
  cgroups: string[];
  mounts: number;
  interfaces: string[];
  addresses: string[];
  /** each of addresses with the interface it is on (null when no route of the namespace says) */
  addressInterfaces: { address: string; interface: string | null }[];
  defaultRoute: string | null;
}

export interface LiveExplanation {
  version: 1;
  container: { id: string; name: string; pid: number };
  namespaces: LiveNamespace[];
  /** the container's process and this one's (the host's) */
  sides: { container: LiveSide; host: LiveSide };
  /** capabilities the host's process has and the container's has not */
  dropped: string[];
  /** limits found in the container's cgroups: file and value */
  limits: { file: string; value: string }[];
  /** mount points covered with /dev/null or an empty read-only tmpfs, and those made read-only, under /proc and /sys */
  masked: string[];
  readonly: string[];
  /** what Docker would have done otherwise with the same flags */
  docker: string[];
}

const NS_FILES: readonly [kind: string, file: string][] = [
  ['pid', 'pid'], ['network', 'net'], ['mount', 'mnt'], ['ipc', 'ipc'], ['uts', 'uts'], ['user', 'user'], ['cgroup', 'cgroup'], ['time', 'time'],
];

function field(status: string, name: string): string {
  return new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '';
}

function caps(hex: string): string[] {
  const mask = BigInt(`0x${hex || '0'}`);
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** The LOCAL addresses of a network namespace's /proc/net/fib_trie, without 127.0.0.0/8's. */
export function localAddresses(fibTrie: string): string[] {
  const out = new Set<string>();
  const lines = fibTrie.split('\n');
  for (let i = 1; i < lines.length; i++) {
    if (!/\/32 host LOCAL/.test(lines[i]!)) continue;
    const addr = /\|-- (\S+)/.exec(lines[i - 1]!)?.[1];
    if (addr && !addr.startsWith('127.')) out.add(addr);
  }
  return [...out];
}

/** An IPv4 address of /proc/net/route (little-endian hex) as a number. */
function routeAddress(hex: string): number {
  const n = Number.parseInt(hex, 16);
  return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
}

/**
 * The interface each of ADDRESSES is on, from /proc/net/route: fib_trie
 * names no device, but the kernel adds a route to an address's own subnet
 * on its interface (a link route, no gateway), so the interface whose
 * link route holds the address, the longest prefix first. null when no
 * such route is there (a /32 address, or one added with noprefixroute).
 */
export function interfacesOf(addresses: readonly string[], route: string): { address: string; interface: string | null }[] {
  const links: { iface: string; dest: number; mask: number; bits: number }[] = [];
  for (const line of route.split('\n').slice(1)) {
    const [iface, dest, gw, flags, , , , mask] = line.trim().split(/\s+/);
    if (!iface || !dest || !mask || !flags || gw !== '00000000') continue;
    // RTF_GATEWAY (2) unset: a route to a link
    if (Number.parseInt(flags, 16) & 2) continue;
    const m = routeAddress(mask);
    if (m === 0) continue;
    links.push({ iface, dest: routeAddress(dest), mask: m, bits: m.toString(2).replace(/0/g, '').length });
  }
  links.sort((a, b) => b.bits - a.bits);
  return addresses.map((address) => {
    const parts = address.split('.').map(Number);
    const n = (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
    const link = links.find((l) => ((n & l.mask) >>> 0) === ((l.dest & l.mask) >>> 0));
    return { address, interface: link?.iface ?? null };
  });
}

/** The default route of a /proc/net/route: "via GATEWAY dev IFACE". */
export function defaultRoute(route: string): string | null {
  for (const line of route.split('\n').slice(1)) {
    const [iface, dest, gw] = line.trim().split(/\s+/);
    if (dest !== '00000000' || !gw) continue;
    const n = Number.parseInt(gw, 16);
    const ip = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
    return `via ${ip} dev ${iface}`;
  }
  return null;
}

function side(read: Read, pid: number | 'self'): LiveSide {
  const p = `/proc/${pid}`;
  const status = read(`${p}/status`) ?? '';
  const seccomp = field(status, 'Seccomp');
  const dev = read(`${p}/net/dev`) ?? '';
  const route = read(`${p}/net/route`) ?? '';
  const addresses = localAddresses(read(`${p}/net/fib_trie`) ?? '');
  return {
    capabilities: caps(field(status, 'CapEff')),
    bounding: caps(field(status, 'CapBnd')),
    seccomp: seccomp === '2' ? 'filter' : seccomp === '1' ? 'strict' : 'none',
    noNewPrivs: field(status, 'NoNewPrivs') === '1',
    cgroups: (read(`${p}/cgroup`) ?? '').split('\n').filter(Boolean).map((l) => l.slice(l.indexOf(':') + 1)),
    mounts: (read(`${p}/mountinfo`) ?? '').split('\n').filter(Boolean).length,
    interfaces: dev.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean),
    addresses,
    addressInterfaces: interfacesOf(addresses, route),
    defaultRoute: defaultRoute(route),
  };
}

/** The limit files worth showing, v1 and v2, by controller. */
const LIMIT_FILES: Readonly<Record<string, readonly string[]>> = {
  memory: ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes'],
  cpu: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  pids: ['pids.max'],
  blkio: ['blkio.weight'],
  '': ['memory.max', 'memory.swap.max', 'cpu.max', 'cpu.weight', 'pids.max', 'cpuset.cpus', 'io.max'],
};

/**
 * The limits written in the container's cgroups: the host's cgroup path of
 * each hierarchy, from the cgroup of the host's view of PID (/proc/PID/cgroup
 * read from here, outside its cgroup namespace), under CGROUPROOT.
 */
function limits(read: Read, cgroups: readonly string[], cgroupRoot: string, version: 1 | 2): { file: string; value: string }[] {
  const out: { file: string; value: string }[] = [];
  for (const line of cgroups) {
    const [controllers = '', path = ''] = line.split(':');
    for (const c of controllers.split(',')) {
      for (const file of LIMIT_FILES[c] ?? []) {
        const dir = version === 2 || c === '' ? `${cgroupRoot}${c === '' && version === 1 ? '/unified' : ''}${path}` : `${cgroupRoot}/${c}${path}`;
        const value = read(`${dir}/${file}`)?.trim();
        if (value !== undefined && value !== '' && !out.some((o) => o.file === file)) out.push({ file, value });
      }
    }
  }
  return out;
}

/** Mount points under /proc and /sys masked (a bind of a char device, or a read-only empty tmpfs) or read-only binds, from a mountinfo. */
function coveredPaths(mountinfo: string): { masked: string[]; readonly: string[] } {
  const masked: string[] = [];
  const readonly: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const f = before.split(' ');
    const point = f[4] ?? '';
    if (!/^\/(proc|sys)\/./.test(point) || point.startsWith('/sys/fs/cgroup')) continue;
    const [fstype = '', source = ''] = after.split(' ');
    const ro = (f[5] ?? '').split(',').includes('ro');
    if ((fstype === 'devtmpfs' || fstype === 'tmpfs' || source === 'udev') && (f[3] === '/null' || ro)) masked.push(point);
    else if (ro && (fstype === 'proc' || fstype === 'sysfs')) readonly.push(point);
  }
  return { masked, readonly };
}

export interface LiveOptions {
  id: string;
  name: string;
  pid: number;
  read: Read;
  /** where the cgroup hierarchies are, and which version */
  cgroupRoot?: string;
  cgroupVersion: 1 | 2;
  /** the flags the container was made with, to say what Docker would have done with them */
  flags?: DockerFlags;
}

/** The flags of a container that decide its privileges, as Docker reads them. */
export interface DockerFlags {
  capAdd: readonly string[];
  capDrop: readonly string[];
  privileged: boolean;
  /** --security-opt seccomp=: Docker's default profile, none, or a file of the user's */
  seccomp: 'default' | 'unconfined' | 'custom';
  noNewPrivileges: boolean;
}

/**
 * What Docker would have done otherwise with the same flags, from what the
 * kernel says of the container (C) on this host. Docker's daemon holds
 * every capability: its --privileged or --cap-add ALL gives all of them.
 */
export function dockerDifferences(c: LiveSide, flags: DockerFlags | undefined, host: { cgroupVersion: 1 | 2; cgroupNsPrivate: boolean; apparmor: boolean }): string[] {
  const out: string[] = [];
  if (host.cgroupVersion === 1 && host.cgroupNsPrivate) {
    out.push("Docker on a cgroup v1 host leaves a container in the host's cgroup namespace (--cgroupns=host is its default there); moby-dick gives it one of its own, as Docker does on v2");
  }
  if (host.apparmor && !flags?.privileged) out.push('Docker would also confine the container with its docker-default AppArmor profile; moby-dick applies none');
  if (!flags) {
    if (c.seccomp === 'none') out.push('Docker applies its default seccomp profile unless told --security-opt seccomp=unconfined');
    return out;
  }
  const filtered = !flags.privileged && flags.seccomp !== 'unconfined';
  if (filtered && c.seccomp === 'none') out.push('Docker would have loaded a seccomp filter with these flags; this container has none');
  if (!filtered && c.seccomp !== 'none') out.push(`Docker would have loaded no seccomp filter (${flags.privileged ? '--privileged' : 'seccomp=unconfined'}); this container has one`);
  const docker = capabilitySet(flags.capAdd, flags.capDrop, flags.privileged);
  const missing = docker.filter((x) => !c.bounding.includes(x));
  const extra = c.bounding.filter((x) => !(docker as readonly string[]).includes(x));
  if (missing.length) out.push(`Docker would also have given ${missing.join(' ')}: its daemon holds every capability, and moby-dick can give only those it holds itself`);
  if (extra.length) out.push(`Docker would have dropped ${extra.join(' ')} too`);
  if (flags.noNewPrivileges !== c.noNewPrivs) out.push(`Docker would have ${flags.noNewPrivileges ? 'set' : 'left unset'} no_new_privs with these flags`);
  return out;
}

export function explainLive(o: LiveOptions): LiveExplanation {
  const { read, pid } = o;
  const namespaces: LiveNamespace[] = [];
  for (const [kind, file] of NS_FILES) {
    const container = read(`/proc/${pid}/ns/${file}`);
    const host = read(`/proc/self/ns/${file}`);
    if (container === null || host === null) continue;
    const state = container === host ? 'shared' : 'private';
    const w = NAMESPACES[kind]!;
    namespaces.push({ kind, container, host, state, says: state === 'private' ? w.own : w.shared });
  }
  const c = side(read, pid);
  const h = side(read, 'self');
  const covered = coveredPaths(read(`/proc/${pid}/mountinfo`) ?? '');
  const cgroupNs = namespaces.find((n) => n.kind === 'cgroup');
  const docker = dockerDifferences(c, o.flags, {
    cgroupVersion: o.cgroupVersion,
    cgroupNsPrivate: cgroupNs?.state === 'private',
    apparmor: read('/sys/kernel/security/apparmor/profiles') !== null,
  });
  return {
    version: 1,
    container: { id: o.id, name: o.name, pid },
    namespaces,
    sides: { container: c, host: h },
    dropped: h.capabilities.filter((x) => !c.capabilities.includes(x)),
    limits: limits(read, c.cgroups, o.cgroupRoot ?? '/sys/fs/cgroup', o.cgroupVersion),
    masked: covered.masked,
    readonly: covered.readonly,
    docker,
  };
}

/** Side by side, for a terminal. */
export function renderLive(e: LiveExplanation): string {
  const rows: [string, string, string, string][] = [['', 'CONTAINER', 'HOST', '']];
  for (const n of e.namespaces) rows.push([`${n.kind} namespace`, n.container, n.host, n.state === 'private' ? `private: ${n.says}` : `shared: ${n.says}`]);
  const { container: c, host: h } = e.sides;
  rows.push(['capabilities', `${c.capabilities.length}`, `${h.capabilities.length}`, e.dropped.length ? `dropped: ${e.dropped.join(' ')}` : 'none dropped']);
  rows.push(['seccomp', c.seccomp, h.seccomp, c.seccomp === 'filter' ? 'every syscall is checked against a filter' : 'no filter']);
  rows.push(['no_new_privs', String(c.noNewPrivs), String(h.noNewPrivs), '']);
  rows.push(['mounts', String(c.mounts), String(h.mounts), '']);
  rows.push(['interfaces', c.interfaces.join(',') || '-', h.interfaces.join(',') || '-', '']);
  const onInterfaces = (s: LiveSide): string => s.addressInterfaces.map((a) => (a.interface ? `${a.address} on ${a.interface}` : a.address)).join(', ') || '-';
  rows.push(['addresses', onInterfaces(c), onInterfaces(h), '']);
  rows.push(['default route', c.defaultRoute ?? '-', h.defaultRoute ?? '-', '']);
  const widths = [0, 1, 2].map((i) => Math.min(40, Math.max(...rows.map((r) => r[i]!.length))));
  const cut = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const out = [`Container ${e.container.name} (${e.container.id.slice(0, 12)}), pid ${e.container.pid} on the host, read from /proc`];
  for (const r of rows) out.push(`${cut(r[0], widths[0]!)}  ${cut(r[1], widths[1]!)}  ${cut(r[2], widths[2]!)}  ${r[3]}`.trimEnd());
  out.push('', `cgroups: ${c.cgroups.join(' ')}`);
  out.push(`limits: ${e.limits.map((l) => `${l.file}=${l.value}`).join(' ') || '(none read)'}`);
  out.push(`masked: ${e.masked.join(' ') || '(none)'}`);
  out.push(`read-only: ${e.readonly.join(' ') || '(none)'}`);
  if (e.docker.length) out.push('', 'Docker with the same flags:', ...e.docker.map((d) => `  - ${d}`));
  return `${out.join('\n')}\n`;
}
