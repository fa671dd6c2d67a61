/**
 * The `filters` query parameter: JSON of `{"key": ["value", ...]}` (and
 * the older `{"key": {"value": true}}`), and GET /containers/json's
 * filters over the engine's containers: id (prefix), name (substring,
 * with or without its "/"), label (KEY or KEY=VALUE), status, exited,
 * ancestor (the image as given, its ID or ID prefix), before and since (a
 * container, by creation), volume, network, health (starting, healthy,
 * unhealthy, or none for a container without checks). Each key's values are ORed,
 * the keys ANDed, as Docker does.
 */
import type { ContainerView } from '../engine/engine.js';
import { HEALTH_FILTER_VALUES, healthFilterValue } from '../engine/health.js';
import { ApiError } from './errors.js';

export type Filters = ReadonlyMap<string, readonly string[]>;

export function parseFilters(text: string | null): Filters {
  const out = new Map<string, string[]>();
  if (!text) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, `invalid filters: ${text}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, `invalid filters: ${text}`);
  for (const [k, v] of Object.entries(parsed)) {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.set(k, v as string[]);
    else if (typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'boolean')) out.set(k, Object.keys(v).filter((x) => (v as Record<string, boolean>)[x]));
    else throw new ApiError(400, `invalid filters: the values of ${k} must be a list of strings`);
  }
  return out;
}

const CONTAINER_KEYS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'is-task']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

function labelMatches(labels: Readonly<Record<string, string>>, f: string): boolean {
  const eq = f.indexOf('=');
  if (eq < 0) return f in labels;
  return labels[f.slice(0, eq)] === f.slice(eq + 1);
}

/** Checks FILTERS' keys and values for a container list (400 for one Docker would refuse). */
export function checkContainerFilters(filters: Filters): void {
  for (const [k, values] of filters) {
    if (!CONTAINER_KEYS.has(k)) throw new ApiError(400, `invalid filter '${k}'`);
    if (k === 'status') for (const s of values) if (!STATUSES.has(s)) throw new ApiError(400, `invalid filter 'status=${s}'`);
    if (k === 'exited') for (const s of values) if (!/^-?\d+$/.test(s)) throw new ApiError(400, `invalid filter 'exited=${s}'`);
    if (k === 'health') for (const s of values) if (!HEALTH_FILTER_VALUES.includes(s)) throw new ApiError(400, `Unrecognised filter value for health: ${s}`);
  }
}

/** Whether V passes FILTERS; ALL lists the containers by creation (before/since name them). */
export function containerMatches(v: ContainerView, filters: Filters, all: readonly ContainerView[] = []): boolean {
  const r = v.record;
  const networksOf = (): string[] => (r.net?.mode === 'bridge' ? r.net.networks.map((n) => n.id) : [r.net?.mode ?? 'none']);
  const createdOf = (ref: string): number | undefined => {
    const other = all.find((x) => x.record.id === ref || x.record.name === ref.replace(/^\//, '') || x.record.id.startsWith(ref));
    if (!other) throw new ApiError(404, `No such container: ${ref}`);
    return Date.parse(other.record.created);
  };
  for (const [k, values] of filters) {
    if (values.length === 0) continue;
    const any = (test: (x: string) => boolean): boolean => values.some(test);
    const ok =
      k === 'id' ? any((x) => r.id.startsWith(x)) :
      k === 'name' ? any((x) => `/${r.name}`.includes(x) || r.name.includes(x)) :
      k === 'label' ? values.every((x) => labelMatches(r.labels, x)) :
      k === 'status' ? any((x) => v.state.Status === x) :
      k === 'exited' ? v.state.Status === 'exited' && any((x) => Number(x) === v.state.ExitCode) :
      k === 'ancestor' ? any((x) => r.image === x || r.image === `${x}:latest` || (r.imageId ?? '') === x || (r.imageId ?? '').replace(/^sha256:/, '').startsWith(x.replace(/^sha256:/, ''))) :
      k === 'before' ? any((x) => Date.parse(r.created) < (createdOf(x) ?? 0)) :
      k === 'since' ? any((x) => Date.parse(r.created) > (createdOf(x) ?? Infinity)) :
      k === 'volume' ? any((x) => x in r.volumes || Object.values(r.volumes).includes(x) || r.engine.binds.some((b) => b.destination === x || b.source === x)) :
      k === 'network' ? any((x) => networksOf().some((n) => n === x || n.startsWith(x))) :
      k === 'health' ? any((x) => x === healthFilterValue(v.state)) :
      k === 'is-task' ? any((x) => x === 'false') :
      true;
    if (!ok) return false;
  }
  return true;
}
