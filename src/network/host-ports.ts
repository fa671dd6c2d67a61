/**
 * Whether a host process already listens on a port (/proc/net/tcp, tcp6,
 * udp, udp6 of the host's network namespace): Docker refuses to publish
 * such a port, and a random one must avoid it.
 */
import { readFileSync } from 'node:fs';
import type { Protocol } from './port-spec.js';

/** The local ports of listening TCP sockets (state 0A) or bound UDP sockets in a /proc/net table. */
export function boundPorts(table: string, protocol: Protocol): Set<number> {
  const out = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    if (protocol === 'tcp' && f[3] !== '0A') continue;
    const port = parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (Number.isFinite(port)) out.add(port);
  }
  return out;
}

export function hostPortBound(protocol: Protocol, port: number): boolean {
  for (const file of [protocol, `${protocol}6`]) {
    try {
      if (boundPorts(readFileSync(`/proc/net/${file}`, 'utf8'), protocol).has(port)) return true;
    } catch {
      /* no IPv6 table */
    }
  }
  return false;
}

/** The kernel's ephemeral port range: where a random host port comes from, as in Docker. */
export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return [lo, hi];
  } catch {
    /* fall through */
  }
  return [32768, 60999];
}
