/**
 * Docker's filters of a container list, for `ps --filter` and GET
 * /containers/json: id (prefix), name (substring, with or without its
 * "/"), label (KEY or KEY=VALUE), status, exited, ancestor (the image as
 * given, its ID or ID prefix), before and since (a container, by
 * creation), volume, network, health (starting, healthy, unhealthy, or
 * none for a container without checks), publish and expose (a port or a
 * range, /tcp unless given: publish= a host port of its published ports,
 * expose= a container port it exposes or publishes, while it runs; a
 * container that passes either passes both, as Docker's), isolation
 * (default, the only one on Linux), is-task. Each key's values are ORed,
 * the keys ANDed, as Docker does.
 */
import { MobyDickError } from '../errors.js';
import { type Filters, labelsMatch } from '../util/filters.js';
import type { PublishedPort } from '../network/network-table.js';
import type { ContainerView } from './engine.js';
import { HEALTH_FILTER_VALUES, healthFilterValue } from './health.js';

export const CONTAINER_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'publish', 'expose', 'health', 'isolation', 'is-task'] as const;
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

const invalid = (what: string): MobyDickError => new MobyDickError('USAGE', `invalid filter '${what}'`, { hint: `filters: ${CONTAINER_FILTERS.join(', ')}` });

/** Checks FILTERS' keys and values for a container list (Docker's "invalid filter" for one it would refuse). */
export function checkContainerFilters(filters: Filters): void {
  for (const [k, values] of filters) {
    if (!(CONTAINER_FILTERS as readonly string[]).includes(k)) throw invalid(k);
    if (k === 'status') for (const s of values) if (!STATUSES.has(s)) throw invalid(`status=${s}`);
    if (k === 'exited') for (const s of values) if (!/^-?\d+$/.test(s)) throw invalid(`exited=${s}`);
    if (k === 'publish' || k === 'expose') for (const s of values) portFilterSet(k, s);
    if (k === 'health') {
      for (const s of values) {
        if (!HEALTH_FILTER_VALUES.includes(s)) throw new MobyDickError('USAGE', `Unrecognised filter value for health: ${s}`, { hint: `give one of ${HEALTH_FILTER_VALUES.join(', ')}` });
      }
    }
  }
}

/** A container's port as Docker's container list gives it: PUBLIC and IP (the host's side) only where it is published. */
export interface SummaryPort {
  privatePort: number;
  publicPort?: number;
  ip?: string;
  protocol: string;
}

/**
 * V's ports as Docker's container list gives them (ps's PORTS, publish= and
 * expose=): PUBLISHED's of it, and while it runs the ports it exposes and
 * does not publish (Docker lists no port of a stopped container).
 */
export function summaryPorts(v: ContainerView, published: readonly PublishedPort[]): SummaryPort[] {
  const out: SummaryPort[] = published
    .filter((p) => p.containerId === v.record.id)
    .map((p) => ({ privatePort: p.containerPort, publicPort: p.hostPort, ip: p.hostIp || '0.0.0.0', protocol: p.protocol }));
  if (!v.state.Running) return out;
  for (const key of v.record.exposedPorts ?? []) {
    const [port, protocol = 'tcp'] = key.split('/');
    const privatePort = Number(port);
    if (!out.some((p) => p.privatePort === privatePort && p.protocol === protocol)) out.push({ privatePort, protocol: protocol! });
  }
  return out;
}

/** A publish= or expose= value (80, 80/udp, 8000-8080/tcp) as the "PORT/PROTO" keys it stands for; Docker's words for a wrong one. */
export function portFilterSet(key: 'publish' | 'expose', value: string): Set<string> {
  if (value.includes(':')) throw new MobyDickError('USAGE', `filter for '${key}' should not contain ':': ${value}`, { hint: `${key}=PORT[/PROTO] or ${key}=START-END[/PROTO]` });
  const slash = value.indexOf('/');
  const range = slash < 0 ? value : value.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : value.slice(slash + 1).toLowerCase();
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (!m || start > 65535 || end > 65535 || end < start || !/^[a-z]+$/.test(proto)) {
    throw new MobyDickError('USAGE', `error while looking up for ${key} ${value}: invalid port range: ${range}`, { hint: `${key}=PORT[/PROTO] or ${key}=START-END[/PROTO]` });
  }
  const out = new Set<string>();
  for (let p = start; p <= end; p++) out.add(`${p}/${proto}`);
  return out;
}

/** publish= and expose= of each Filters, parsed once for a whole list */
const portSets = new WeakMap<Filters, { publish: Set<string>; expose: Set<string> }>();

/** Whether PORTS pass publish= and expose= (Docker's: one port matching either is enough for both). */
function portsMatch(ports: readonly SummaryPort[], filters: Filters): boolean {
  let sets = portSets.get(filters);
  if (!sets) {
    sets = {
      publish: new Set((filters.get('publish') ?? []).flatMap((x) => [...portFilterSet('publish', x)])),
      expose: new Set((filters.get('expose') ?? []).flatMap((x) => [...portFilterSet('expose', x)])),
    };
    portSets.set(filters, sets);
  }
  const { publish, expose } = sets;
  if (publish.size === 0 && expose.size === 0) return true;
  return ports.some((p) => publish.has(`${p.publicPort ?? 0}/${p.protocol}`) || expose.has(`${p.privatePort}/${p.protocol}`));
}

/** Whether FILTERS ask for stopped containers too (Docker lists them then without -a). */
export function filtersShowStopped(filters: Filters): boolean {
  return ['status', 'exited', 'before', 'since'].some((k) => (filters.get(k)?.length ?? 0) > 0);
}

/**
 * Whether V passes FILTERS; ALL lists the containers by creation (before/since
 * name them); PORTS gives a container's ports (publish=, expose=): its
 * published ports, and its exposed ones while it runs, as Docker's list.
 */
export function containerMatches(v: ContainerView, filters: Filters, all: readonly ContainerView[] = [], ports: (v: ContainerView) => readonly SummaryPort[] = () => []): boolean {
  if (!portsMatch(ports(v), filters)) return false;
  const r = v.record;
  const networksOf = (): string[] => (r.net?.mode === 'bridge' ? r.net.networks.map((n) => n.id) : [r.net?.mode ?? 'none']);
  const createdOf = (ref: string): number => {
    const other = all.find((x) => x.record.id === ref || x.record.name === ref.replace(/^\//, '') || x.record.id.startsWith(ref));
    if (!other) throw new MobyDickError('USAGE', `No such container: ${ref}`, { subject: ref });
    return Date.parse(other.record.created);
  };
  for (const [k, values] of filters) {
    if (values.length === 0) continue;
    const any = (test: (x: string) => boolean): boolean => values.some(test);
    const ok =
      k === 'id' ? any((x) => r.id.startsWith(x)) :
      k === 'name' ? any((x) => `/${r.name}`.includes(x) || r.name.includes(x)) :
      k === 'label' ? labelsMatch(r.labels, values) :
      k === 'status' ? any((x) => v.state.Status === x) :
      k === 'exited' ? v.state.Status === 'exited' && any((x) => Number(x) === v.state.ExitCode) :
      k === 'ancestor' ? any((x) => r.image === x || r.image === `${x}:latest` || (r.imageId ?? '') === x || (r.imageId ?? '').replace(/^sha256:/, '').startsWith(x.replace(/^sha256:/, ''))) :
      k === 'before' ? any((x) => Date.parse(r.created) < createdOf(x)) :
      k === 'since' ? any((x) => Date.parse(r.created) > createdOf(x)) :
      k === 'volume' ? any((x) => x in r.volumes || Object.values(r.volumes).includes(x) || r.engine.binds.some((b) => b.destination === x || b.source === x)) :
      k === 'network' ? any((x) => networksOf().some((n) => n === x || n.startsWith(x))) :
      k === 'health' ? any((x) => x === healthFilterValue(v.state)) :
      k === 'is-task' ? any((x) => x === 'false') :
      // Linux has one isolation, which Docker calls default
      k === 'isolation' ? any((x) => x === 'default') :
      true;
    if (!ok) return false;
  }
  return true;
}
