/**
 * Docker's filters of a container list, for `ps --filter` and GET
 * /containers/json: id (prefix), name (substring, with or without its
 * "/"), label (KEY or KEY=VALUE), status, exited, ancestor (the image as
 * given, its ID or ID prefix), before and since (a container, by
 * creation), volume, network, health (starting, healthy, unhealthy, or
 * none for a container without checks), is-task. Each key's values are ORed, the keys
 * ANDed, as Docker does.
 */
import { MobyDickError } from '../errors.js';
import { type Filters, labelsMatch } from '../util/filters.js';
import type { ContainerView } from './engine.js';
import { HEALTH_FILTER_VALUES, healthFilterValue } from './health.js';

export const CONTAINER_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'is-task'] as const;
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

const invalid = (what: string): MobyDickError => new MobyDickError('USAGE', `invalid filter '${what}'`, { hint: `filters: ${CONTAINER_FILTERS.join(', ')}` });

/** Checks FILTERS' keys and values for a container list (Docker's "invalid filter" for one it would refuse). */
export function checkContainerFilters(filters: Filters): void {
  for (const [k, values] of filters) {
    if (!(CONTAINER_FILTERS as readonly string[]).includes(k)) throw invalid(k);
    if (k === 'status') for (const s of values) if (!STATUSES.has(s)) throw invalid(`status=${s}`);
    if (k === 'exited') for (const s of values) if (!/^-?\d+$/.test(s)) throw invalid(`exited=${s}`);
    if (k === 'health') {
      for (const s of values) {
        if (!HEALTH_FILTER_VALUES.includes(s)) throw new MobyDickError('USAGE', `Unrecognised filter value for health: ${s}`, { hint: `give one of ${HEALTH_FILTER_VALUES.join(', ')}` });
      }
    }
  }
}

/** Whether FILTERS ask for stopped containers too (Docker lists them then without -a). */
export function filtersShowStopped(filters: Filters): boolean {
  return ['status', 'exited', 'before', 'since'].some((k) => (filters.get(k)?.length ?? 0) > 0);
}

/** Whether V passes FILTERS; ALL lists the containers by creation (before/since name them). */
export function containerMatches(v: ContainerView, filters: Filters, all: readonly ContainerView[] = []): boolean {
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
      true;
    if (!ok) return false;
  }
  return true;
}
