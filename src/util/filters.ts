/**
 * Docker's filters, as the Engine API's `filters` parameter and the CLI's
 * `--filter KEY=VALUE` both give them: each key's values (ORed or ANDed
 * as the key says), and the small matchers every list shares: booleans
 * (dangling=true), labels (label=KEY, label=KEY=VALUE, label!=...),
 * path.Match globs (reference=busy*), and `until` times. A wrong filter
 * is a USAGE error with Docker's words ("invalid filter 'x'"), which the
 * API answers with a 400.
 */
import { MobyDickError } from '../errors.js';

export type Filters = ReadonlyMap<string, readonly string[]>;

const invalid = (what: string, hint?: string): MobyDickError => new MobyDickError('USAGE', `invalid filter '${what}'`, hint ? { hint } : {});

/** The CLI's `--filter KEY=VALUE` options as Filters (`label!=a` is key `label!`), refusing a key not in ALLOWED. */
export function filtersFromOptions(options: readonly string[], allowed: readonly string[]): Filters {
  const out = new Map<string, string[]>();
  for (const o of options) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new MobyDickError('USAGE', `bad format of filter (expected name=value): ${o}`, { hint: `filters: ${allowed.join(', ')}` });
    const key = o.slice(0, eq);
    if (!allowed.includes(key)) throw invalid(key, `filters: ${allowed.join(', ')}`);
    out.set(key, [...(out.get(key) ?? []), o.slice(eq + 1)]);
  }
  return out;
}

/** The one boolean value of filter KEY (true/1, false/0), undefined when absent. */
export function boolFilter(filters: Filters, key: string): boolean | undefined {
  const values = filters.get(key);
  if (!values || values.length === 0) return undefined;
  const seen = new Set(values.map((v) => v.toLowerCase()));
  for (const v of seen) if (!['true', '1', 'false', '0'].includes(v)) throw invalid(`${key}=${v}`);
  if (seen.size > 1 && (seen.has('true') || seen.has('1')) && (seen.has('false') || seen.has('0'))) throw new MobyDickError('USAGE', `invalid filter '${key}': both true and false`);
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
      if (end < 0) throw new MobyDickError('USAGE', `invalid reference filter pattern ${pattern}`, { subject: pattern });
      const body = pattern.slice(i + 1, end).replace(/^\^/, '!');
      source += body.startsWith('!') ? `[^${body.slice(1).replace(/[\\\]]/g, '\\$&')}]` : `[${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A Go duration (1h30m, 10m, 45s, 1.5h) in ms. */
function goDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * units[m[2]!]!;
    at = re.lastIndex;
  }
  return at === text.length && at > 0 ? total : undefined;
}

/** The `until` filter's time in seconds since the epoch: a Unix timestamp, an RFC 3339 date, or a duration before NOW. */
export function untilSeconds(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const d = goDuration(value);
  if (d !== undefined) return Math.floor((now - d) / 1000);
  const t = Date.parse(value);
  if (Number.isFinite(t)) return Math.floor(t / 1000);
  throw new MobyDickError('USAGE', `invalid filter 'until=${value}': expected a timestamp, a date or a duration`, { subject: value, hint: 'e.g. until=24h, until=2024-05-01T00:00:00Z or a Unix timestamp' });
}
