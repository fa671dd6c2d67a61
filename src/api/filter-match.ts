/**
 * What the image, network and volume endpoints add to filters.ts: the
 * filters of a query checked against the names an endpoint knows (another
 * is a 400, as dockerd answers: "invalid filter 'x'"), and query flags.
 * The matchers their lists share (booleans, labels, globs) are
 * util/filters.ts's, re-exported here.
 */
import { type Filters, parseFilters } from './filters.js';
import { ApiError } from './errors.js';

// the matchers are the engine's and the CLI's too (util/filters.ts)
export { boolFilter, globRegExp, labelsLack, labelsMatch } from '../util/filters.js';

/** The filters of QUERY's `filters`, refusing one not in ALLOWED. */
export function filtersOf(query: URLSearchParams, allowed: readonly string[]): Filters {
  const filters = parseFilters(query.get('filters'));
  for (const key of filters.keys()) if (!allowed.includes(key)) throw new ApiError(400, `invalid filter '${key}'`);
  return filters;
}

/** A query flag as Docker reads one: 1, true (any case) are true; absent, empty, 0 and false are not. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}
