/**
 * ps's PORTS column as Docker's CLI writes it (formatter.DisplayablePorts):
 * the ports sorted by container port, host address, host port and
 * protocol; exposed ports without a host side, and published ones whose
 * host port is the container port, grouped into ranges of consecutive
 * ports ("8000-8002/tcp", "0.0.0.0:80-81->80-81/tcp"); the other published
 * ones as "ADDRESS:HOSTPORT->PORT/PROTO", after the groups.
 */

export interface DisplayPort {
  privatePort: number;
  /** the host's side, when published */
  publicPort?: number;
  /** the host address, when published */
  ip?: string;
  protocol: string;
}

/** ADDRESS:PORT as Go's net.JoinHostPort writes it (an IPv6 address in brackets). */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function compare(a: DisplayPort, b: DisplayPort): number {
  if (a.privatePort !== b.privatePort) return a.privatePort - b.privatePort;
  const ipA = a.ip ?? '';
  const ipB = b.ip ?? '';
  if (ipA !== ipB) return ipA < ipB ? -1 : 1;
  if ((a.publicPort ?? 0) !== (b.publicPort ?? 0)) return (a.publicPort ?? 0) - (b.publicPort ?? 0);
  return a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0;
}

export function displayPorts(ports: readonly DisplayPort[]): string {
  const groups = new Map<string, { ip: string; protocol: string; first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  const form = (g: { ip: string; protocol: string; first: number; last: number }): string => {
    const range = g.first === g.last ? String(g.first) : `${g.first}-${g.last}`;
    // as Docker's formGroup: the address as it is, brackets or not
    return g.ip ? `${g.ip}:${range}->${range}/${g.protocol}` : `${range}/${g.protocol}`;
  };
  for (const p of [...ports].sort(compare)) {
    const ip = p.ip ?? '';
    if (ip !== '' && p.publicPort !== p.privatePort) {
      mappings.push(`${hostPort(ip, p.publicPort ?? 0)}->${p.privatePort}/${p.protocol}`);
      continue;
    }
    const key = ip ? `${ip}/${p.protocol}` : p.protocol;
    const g = groups.get(key);
    if (!g) groups.set(key, { ip, protocol: p.protocol, first: p.privatePort, last: p.privatePort });
    else if (p.privatePort === g.last + 1) g.last = p.privatePort;
    else {
      result.push(form(g));
      // a new group in the same key's place (Go's map keeps the first key's order)
      groups.set(key, { ip, protocol: p.protocol, first: p.privatePort, last: p.privatePort });
    }
  }
  for (const g of groups.values()) result.push(form(g));
  return [...result, ...mappings].join(', ');
}
