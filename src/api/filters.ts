/**
 * The `filters` query parameter: JSON of `{"key": ["value", ...]}` (and
 * the older `{"key": {"value": true}}`). GET /containers/json's filters
 * over the engine's containers are the engine's (engine/container-filters.ts,
 * which `ps --filter` uses too), re-exported here.
 */
import type { Filters } from '../util/filters.js';
import { ApiError } from './errors.js';

export type { Filters } from '../util/filters.js';
export { checkContainerFilters, containerMatches, summaryPorts } from '../engine/container-filters.js';

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
