/**
 * IPv4 addresses and subnets as numbers: parsing, overlap, the n-th host,
 * Docker's MAC address for an IP, and the choice of a free subnet from an
 * address pool. Pure.
 */
import { MobyDickError } from '../errors.js';

export interface Subnet {
  /** the network address, as an unsigned 32-bit number */
  base: number;
  /** the prefix length */
  bits: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIp(text: string): number | undefined {
  const m = OCTETS.exec(text);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** "10.1.0.0/16" (host bits must be zero, as Docker wants them). */
export function parseSubnet(text: string): Subnet {
  const [addr, len, extra] = text.split('/');
  const ip = addr === undefined ? undefined : parseIp(addr);
  const bits = len !== undefined && /^\d{1,2}$/.test(len) ? Number(len) : -1;
  if (ip === undefined || extra !== undefined || bits < 0 || bits > 32) {
    throw new MobyDickError('USAGE', `invalid subnet ${text}: give an IPv4 network as ADDRESS/LENGTH, e.g. 10.1.0.0/16`, { subject: text });
  }
  if (bits > 30) throw new MobyDickError('USAGE', `invalid subnet ${text}: a subnet needs room for a gateway and containers (/30 at most)`, { subject: text });
  if ((ip & mask(bits)) >>> 0 !== ip) {
    throw new MobyDickError('USAGE', `invalid subnet ${text}: it should be ${formatIp((ip & mask(bits)) >>> 0)}/${bits}`, { subject: text });
  }
  return { base: ip, bits };
}

export function formatSubnet(s: Subnet): string {
  return `${formatIp(s.base)}/${s.bits}`;
}

export function contains(s: Subnet, ip: number): boolean {
  return (ip & mask(s.bits)) >>> 0 === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const bits = Math.min(a.bits, b.bits);
  return (a.base & mask(bits)) >>> 0 === (b.base & mask(bits)) >>> 0;
}

/** The host addresses of S: from base+1 to the one before broadcast. */
export function hostRange(s: Subnet): { first: number; last: number } {
  const size = 2 ** (32 - s.bits);
  return { first: s.base + 1, last: s.base + size - 2 };
}

/** Docker's MAC for a container address: 02:42 then the four octets. */
export function macFor(ip: number): string {
  return ['02', '42', ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((o) => o.toString(16).padStart(2, '0'))].join(':');
}

/** Docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export function defaultPool(): Subnet[] {
  const pool: Subnet[] = [];
  for (let b = 17; b <= 31; b++) pool.push({ base: parseIp(`172.${b}.0.0`)!, bits: 16 });
  for (let c = 0; c < 256; c += 16) pool.push({ base: parseIp(`192.168.${c}.0`)!, bits: 20 });
  return pool;
}

/** The first subnet of POOL that overlaps none of TAKEN (host routes, other networks). */
export function freeSubnet(pool: readonly Subnet[], taken: readonly Subnet[]): Subnet | undefined {
  return pool.find((s) => !taken.some((t) => overlaps(s, t)));
}
