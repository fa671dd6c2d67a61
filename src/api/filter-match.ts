/**
 * What the image, network and volume endpoints add to filters.ts: the
 * filters of a query checked against the names an endpoint knows (another
 * is a 400, as dockerd answers: "invalid filter 'x'"), and the small
 * matchers their lists share: booleans, labels, globs, query flags.
 */
import { ApiError } from './errors.js';
import { type Filters, parseFilters } from './filters.js';

/** The filters of QUERY's `filters`, refusing one not in ALLOWED. */
export function filtersOf(query: URLSearchParams, allowed: readonly string[]): Filters {
  const filters = parseFilters(query.get('filters'));
  for (const key of filters.keys()) if (!allowed.includes(key)) throw new ApiError(400, `invalid filter '${key}'`);
  return filters;
}

/** The one boolean value of filter KEY (true/1, false/0), undefined when absent; 400 for anything else. */
export function boolFilter(filters: Filters, key: string): boolean | undefined {
  const values = filters.get(key);
  if (!values || values.length === 0) return undefined;
  const seen = new Set(values.map((v) => v.toLowerCase()));
  for (const v of seen) if (!['true', '1', 'false', '0'].includes(v)) throw new ApiError(400, `invalid filter '${key}=${v}'`);
  if (seen.size > 1 && (seen.has('true') || seen.has('1')) && (seen.has('false') || seen.has('0'))) throw new ApiError(400, `invalid filter '${key}': both true and false`);
  return seen.has('true') || seen.has('1');
}

/** Whether LABELS has every `KEY` or `KEY=VALUE` of WANTED (Docker's label filter: all must match). */
export function labelsMatch(labels: Readonly<Record<string, string>> | null | undefined, wanted: readonly string[]): boolean {
  const l = labels ?? {};
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return Object.hasOwn(l, w);
    return l[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** Whether LABELS has none of the `KEY` or `KEY=VALUE` of UNWANTED (`label!=`). */
export function labelsLack(labels: Readonly<Record<string, string>> | null | undefined, unwanted: readonly string[]): boolean {
  return unwanted.every((u) => !labelsMatch(labels, [u]));
}

/** A path.Match-style glob (*, ?, [...]; * and ? do not cross a /) as a RegExp of the whole string. */
export function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new ApiError(400, `invalid reference filter pattern ${pattern}`);
      const body = pattern.slice(i + 1, end).replace(/^\^/, '!');
      source += body.startsWith('!') ? `[^${body.slice(1).replace(/[\\\]]/g, '\\$&')}]` : `[${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A query flag as Docker reads one: 1, true (any case) are true; absent, empty, 0 and false are not. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}
