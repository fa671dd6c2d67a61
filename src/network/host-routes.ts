/** The IPv4 destinations the host routes now (/proc/net/route), to choose subnets that collide with none. */
import { readFileSync } from 'node:fs';
import type { Subnet } from './subnet.js';

/** /proc/net/route's little-endian hex words -> subnets (the default route is left out: it covers everything). */
export function parseRouteTable(text: string): Subnet[] {
  const out: Subnet[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (hex: string) => Buffer.from(hex.padStart(8, '0'), 'hex').readUInt32LE(0);
    const dest = le(f[1]!);
    const maskWord = le(f[7]!);
    const bits = maskWord.toString(2).replace(/0+$/, '').length;
    if (bits === 0) continue;
    out.push({ base: dest, bits });
  }
  return out;
}

export function hostRoutes(): Subnet[] {
  try {
    return parseRouteTable(readFileSync('/proc/net/route', 'utf8'));
  } catch {
    return [];
  }
}
