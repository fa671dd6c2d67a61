/**
 * The few Go-template forms people pass to `--format` of inspect commands:
 * `{{.Id}}`, `{{.Config.Env}}`, `{{json .RootFS}}`, with text around them.
 * Anything else is refused by name rather than printed wrong.
 */
import { MobyDickError } from '../errors.js';

const goJson = (v: unknown): string =>
  JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

function lookup(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.').filter(Boolean)) {
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

/** Go's %v of a value: lists as [a b], maps as map[k:v], nothing as <no value>. */
function goValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `map[${entries.map(([k, x]) => `${k}:${goValue(x)}`).join(' ')}]`;
  }
  return String(v);
}

export function renderTemplate(template: string, value: unknown): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    const json = /^json\s+(\.[\w.]*)$/.exec(expr);
    if (json) return goJson(lookup(value, json[1]!));
    const field = /^(\.[\w.]*)$/.exec(expr);
    if (field) return goValue(lookup(value, field[1]!));
    throw new MobyDickError('USAGE', `template: unsupported action {{${expr}}}`, {
      hint: 'moby-dick understands {{.Field.Sub}} and {{json .Field}}',
    });
  });
}

/** Go's json.MarshalIndent with 4 spaces, HTML characters escaped. */
export function goJsonIndent(v: unknown): string {
  return JSON.stringify(v, null, 4).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** What `inspect` prints, as Docker: each document through FORMAT, a line each, or all of them as one indented JSON array. */
export function inspectOutput(docs: readonly unknown[], format: string | undefined): string {
  if (format !== undefined && format !== '') return docs.map((d) => `${renderTemplate(format, d)}\n`).join('');
  return `${goJsonIndent(docs)}\n`;
}
