/**
 * Docker's -p/--publish and --expose syntax, and the ports a container
 * publishes: `[IP:][HOSTPORT:]CTRPORT[/PROTO]`, where either port may be a
 * range (`8000-8002:80-82`), an empty or missing host port means one the
 * engine picks, and IP limits it to one host address. Pure.
 */
import { MobyDickError } from '../errors.js';
import { parseIp } from './subnet.js';

export type Protocol = 'tcp' | 'udp';

export interface PortBinding {
  protocol: Protocol;
  /** the host address it answers on; '' for every address */
  hostIp: string;
  /** 0: one the engine picks when the container starts */
  hostPort: number;
  containerPort: number;
}

function bad(spec: string, why: string): MobyDickError {
  return new MobyDickError('USAGE', `invalid port specification: "${spec}": ${why}`, { subject: spec, hint: 'publish as [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], e.g. -p 127.0.0.1:8080:80' });
}

/** "80" or "80-82" -> [80, 82]; undefined for "" */
function portRange(text: string, spec: string): [number, number] | undefined {
  if (text === '') return undefined;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw bad(spec, `${text} is not a port or a range of ports`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) throw bad(spec, `${text} is not within 1-65535`);
  return [lo, hi];
}

function protocolOf(text: string | undefined, spec: string): Protocol {
  const p = (text ?? 'tcp').toLowerCase();
  if (p !== 'tcp' && p !== 'udp') throw bad(spec, `protocol ${text} is not tcp or udp`);
  return p;
}

/** One -p value. */
export function parsePublish(spec: string): PortBinding[] {
  const slash = spec.lastIndexOf('/');
  const body = slash >= 0 ? spec.slice(0, slash) : spec;
  const protocol = protocolOf(slash >= 0 ? spec.slice(slash + 1) : undefined, spec);
  const parts = body.split(':');
  let hostIp = '';
  let hostText = '';
  let ctrText: string;
  if (parts.length === 1) ctrText = parts[0]!;
  else if (parts.length === 2) [hostText, ctrText] = parts as [string, string];
  else if (parts.length === 3) [hostIp, hostText, ctrText] = parts as [string, string, string];
  else throw bad(spec, 'too many colons (IPv6 host addresses are not supported)');
  if (hostIp === 'localhost') hostIp = '127.0.0.1';
  if (hostIp === '0.0.0.0') hostIp = '';
  if (hostIp !== '' && parseIp(hostIp) === undefined) throw bad(spec, `${hostIp} is not an IPv4 address`);
  const ctr = portRange(ctrText, spec);
  if (!ctr) throw bad(spec, 'no container port');
  const host = portRange(hostText, spec);
  const count = ctr[1] - ctr[0] + 1;
  if (host && host[1] - host[0] + 1 !== count && !(host[0] === host[1] && count === 1)) {
    throw bad(spec, 'the host and container port ranges differ in length');
  }
  const out: PortBinding[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ protocol, hostIp, hostPort: host ? host[0] + i : 0, containerPort: ctr[0] + i });
  }
  return out;
}

/** One --expose value, or an image's ExposedPorts key: "80", "80/udp", "8000-8002". */
export function parseExposed(spec: string): { protocol: Protocol; port: number }[] {
  const [ports, proto] = spec.split('/');
  const range = portRange(ports ?? '', spec);
  if (!range) throw bad(spec, 'no port');
  const protocol = protocolOf(proto, spec);
  const out: { protocol: Protocol; port: number }[] = [];
  for (let p = range[0]; p <= range[1]; p++) out.push({ protocol, port: p });
  return out;
}

/**
 * The ports a container publishes: every -p, and with -P every exposed port
 * (the image's and --expose) that -p did not name, on a port the engine picks
 * and the address PUBLISH_ALL_IP (every address when empty).
 */
export function publishedPorts(publish: readonly string[], publishAll: boolean, exposed: readonly string[], publishAllIp = ''): PortBinding[] {
  const out = publish.flatMap(parsePublish);
  if (publishAll) {
    for (const e of exposed.flatMap(parseExposed)) {
      if (!out.some((b) => b.protocol === e.protocol && b.containerPort === e.port)) {
        out.push({ protocol: e.protocol, hostIp: publishAllIp, hostPort: 0, containerPort: e.port });
      }
    }
  }
  return out;
}

/** Docker's "80/tcp -> 0.0.0.0:8080" line of `port`. */
export function portLine(b: PortBinding): string {
  return `${b.containerPort}/${b.protocol} -> ${b.hostIp || '0.0.0.0'}:${b.hostPort}`;
}
