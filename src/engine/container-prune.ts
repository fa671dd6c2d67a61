/**
 * `container prune`: removes every container that is not running (created,
 * exited, dead), as Docker does; the space reclaimed is what their writable
 * layers held. Docker's filters: until=TIME, label=KEY[=VALUE], label!=...
 */
import { MobyDickError } from '../errors.js';
import type { ContainerRecord } from './container-table.js';
import type { Engine } from './engine.js';
import { diskUsage } from './volumes.js';

export interface PruneFilter {
  /** keep containers created at or after this (ms since the epoch) */
  until?: number;
  labels: { key: string; value?: string; negate: boolean }[];
}

export function parsePruneFilters(filters: readonly string[], parseTime: (t: string) => number): PruneFilter {
  const out: PruneFilter = { labels: [] };
  for (const f of filters) {
    const m = /^(until|label!?)=(.*)$/.exec(f);
    if (!m) throw new MobyDickError('USAGE', `invalid filter '${f.split('=')[0]}'`, { hint: 'prune takes until=TIME and label=KEY[=VALUE] (label!= to exclude)' });
    if (m[1] === 'until') {
      out.until = parseTime(m[2]!);
      continue;
    }
    const eq = m[2]!.indexOf('=');
    out.labels.push({ key: eq < 0 ? m[2]! : m[2]!.slice(0, eq), ...(eq < 0 ? {} : { value: m[2]!.slice(eq + 1) }), negate: m[1] === 'label!' });
  }
  return out;
}

export function pruneSelects(r: ContainerRecord, f: PruneFilter): boolean {
  if (f.until !== undefined && Date.parse(r.created) >= f.until) return false;
  for (const l of f.labels) {
    const has = Object.hasOwn(r.labels, l.key) && (l.value === undefined || r.labels[l.key] === l.value);
    if (has === l.negate) return false;
  }
  return true;
}

export function pruneContainers(engine: Engine, filter: PruneFilter = { labels: [] }): { deleted: string[]; bytes: number } {
  const deleted: string[] = [];
  let bytes = 0;
  for (const v of engine.list()) {
    if (v.state.Running || !pruneSelects(v.record, filter)) continue;
    const size = diskUsage(v.paths.upper);
    try {
      engine.remove(v.record.id);
    } catch (e) {
      // started meanwhile: not ours to remove
      if (e instanceof MobyDickError && e.code === 'USAGE') continue;
      throw e;
    }
    deleted.push(v.record.id);
    bytes += size;
  }
  return { deleted, bytes };
}
