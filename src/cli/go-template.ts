/**
 * `--format` as Docker's CLI has it: Go's text/template (template/: lexer,
 * parser, evaluator, fmt printing; util/tabwriter.ts) with the functions Docker adds
 * (json, split, join, title, lower, upper, pad, truncate), and the CLI's
 * formatter around it: `table` for a header row of Docker's column names
 * and columns aligned by Go's tabwriter, `json` for one object per line,
 * `\t` and `\n` typed in a format read as a tab and a newline.
 *
 * No well-kept npm package implements Go's templates faithfully (Go's
 * error messages, printf, Go's printing of values, pipelines, variables):
 * @ctrl/golang-template describes itself as basic parsing, and
 * @evertdespiegeleer/go-template wraps Go's own engine (not JavaScript);
 * so this is our own, checked against the docker CLI's output.
 *
 * The names other commands use, kept stable:
 * - renderTemplate(template, value, options?): one value through a template (Docker's templates.Parse + Execute);
 * - formatRows(format, rows, spec): a list command's --format, table/json/template, Docker's shapes;
 * - formatterRow(typeName, fields, labels?): a row as Docker's formatter contexts (.Label "key", json of all fields);
 * - checkRowsFormat(format) / validateFormat(format, emptyRow): refuse a bad format before any work;
 * - writeInspect(docs, format) (inspectResult, inspectOutput): what `inspect` prints, and its exit status;
 * - GoObject: a value with a Go type name (struct errors) and methods; tabwrite: Go's tabwriter.
 */
import { MobyDickError } from '../errors.js';
import { executeTemplate, type ExecOptions, TemplateExecError } from './template/exec.js';
import { BUILTINS, DOCKER_FUNCTIONS, type FunctionMap, HEADER_FUNCTIONS } from './template/funcs.js';
import { goJson, GoObject } from './template/go-values.js';
import { parseTemplate, type ParsedTemplate, TemplateParseError } from './template/parse.js';
import { tabwrite } from '../util/tabwriter.js';
import { formatError } from './report-error.js';

export { GoObject, nilSlice, withNilFields } from './template/go-values.js';
export { tabwrite } from '../util/tabwriter.js';

const FUNCTIONS: FunctionMap = { ...BUILTINS, ...DOCKER_FUNCTIONS };
const HEADER_SET: FunctionMap = { ...FUNCTIONS, ...HEADER_FUNCTIONS };

/** Docker's words before Go's: "template parsing error" (its formatter and inspect), "failed to parse template" (ps). */
const templateError = (e: unknown, prefix = 'template parsing error'): never => {
  if (e instanceof TemplateParseError || e instanceof TemplateExecError) {
    throw new MobyDickError('TEMPLATE', `${prefix}: ${e.message}`, { hint: "--format is a Go template, as Docker's" });
  }
  throw e;
};

/**
 * Templates parsed once per process: a list command's default table (ps's
 * is about 0.15 ms to parse warm, 1.5 ms cold) is parsed while the CLI's
 * snapshot is built (warmUpFormats) and kept there, parsed. Parsing is
 * pure and execution leaves the tree as it was, so a parse can be shared;
 * a few entries at most, so that a long-lived process given ever new
 * formats does not keep them all.
 */
const PARSED = new Map<string, ParsedTemplate>();
const PARSED_MAX = 16;

/** Go's template.New("").Funcs(Docker's functions).Parse(TEMPLATE); a mistake is Docker's error (exit 1). */
export function parseFormat(template: string, errorPrefix?: string, name = ''): ParsedTemplate {
  const key = `${name}\0${template}`;
  const known = PARSED.get(key);
  if (known) return known;
  let parsed: ParsedTemplate;
  try {
    parsed = parseTemplate(template, (fn) => Object.hasOwn(FUNCTIONS, fn), name);
  } catch (e) {
    return templateError(e, errorPrefix);
  }
  if (PARSED.size >= PARSED_MAX) PARSED.delete(PARSED.keys().next().value!);
  PARSED.set(key, parsed);
  return parsed;
}

function execute(t: ParsedTemplate, value: unknown, options: ExecOptions = {}, errorPrefix?: string): string {
  try {
    return executeTemplate(t, FUNCTIONS, value, options);
  } catch (e) {
    return templateError(e, errorPrefix);
  }
}

export interface RenderOptions extends ExecOptions {
  /** Docker's words before Go's in an error (default "template parsing error") */
  errorPrefix?: string;
  /** the template's name in Go's errors (Docker's templates.New("version") for `version`; default "") */
  name?: string;
}

/** VALUE through TEMPLATE, as Docker's templates package runs it (no newline added). */
export function renderTemplate(template: string, value: unknown, options: RenderOptions = {}): string {
  return execute(parseFormat(template, options.errorPrefix, options.name), value, options, options.errorPrefix);
}

/** Docker's formatter.SubHeaderContext: the column names, and .Label "a.b-c" heads its column "b c". */
function headerContext(headers: Readonly<Record<string, string>>): GoObject {
  return new GoObject('formatter.SubHeaderContext', headers, {
    isMap: true,
    methods: { Label: { params: ['string'], fn: (name) => String(name).split('.').pop()!.replace(/[-_]/g, ' ') } },
  });
}

/**
 * A row as Docker's formatter contexts are: FIELDS (all strings), `.Label "key"`
 * from LABELS, a missing field an error naming TYPENAME ("*formatter.ContainerContext"),
 * and {{json .}} all fields with their keys sorted, HTML characters escaped (Go's json.Marshal).
 */
export function formatterRow(typeName: string, fields: Readonly<Record<string, unknown>>, labels?: Readonly<Record<string, string>>): GoObject {
  return new GoObject(typeName, fields, {
    fieldsAreMethods: true,
    ...(labels ? { methods: { Label: { params: ['string'], fn: (name) => labels[String(name)] ?? '' } } } : {}),
    json: () => goJson(Object.fromEntries(Object.keys(fields).sort().map((k) => [k, fields[k]])), true),
  });
}

export interface RowsFormat {
  /** Docker's column name of each field: { ID: 'CONTAINER ID', Names: 'NAMES' } */
  headers: Readonly<Record<string, string>>;
  /** what a bare `table` means: the command's default table template */
  table: string;
  /** the Go type that "can't evaluate field X in type T" names, for rows given as plain records */
  typeName?: string;
}

/** Docker's Format.templateString: `table ` cut, spaces trimmed, \t and \n typed as two characters made a tab and a newline. */
function templateString(format: string): string {
  if (format === 'table') return '';
  if (format === 'json') return '{{json .}}';
  const body = format.startsWith('table') ? format.slice('table'.length) : format;
  return body.replace(/^ +| +$/g, '').replaceAll('\\t', '\t').replaceAll('\\n', '\n');
}

/** Refuses a list command's FORMAT that does not parse (Docker's error, exit 1), before any work is done. */
export function checkRowsFormat(format: string): void {
  parseFormat(templateString(format));
}

/**
 * What `docker ps` does first with a --format: the format as given parsed and
 * run on an empty row (EMPTY), so a bad one fails even when nothing is listed
 * ("failed to parse template: ...", "failed to execute template: ...").
 */
export function validateFormat(format: string, empty: unknown): void {
  if (format === '') return;
  execute(parseFormat(format, 'failed to parse template'), empty, {}, 'failed to execute template');
}

/**
 * What a list command prints for FORMAT (its --format, or `table` for the
 * default) over ROWS: Docker's formatter. `table`: a header of SPEC's column
 * names, then a line per row, aligned with Go's tabwriter (minwidth 10,
 * padding 3); `json`: {{json .}} per row; anything else: the template per row.
 * Nothing is printed when a row fails (a MobyDickError, exit 1).
 */
export function formatRows(format: string, rows: readonly unknown[], spec: RowsFormat): string {
  const effective = format === 'table' ? spec.table : format;
  const t = parseFormat(templateString(effective));
  const asRow = (r: unknown): unknown =>
    r instanceof GoObject || typeof r !== 'object' || r === null ? r : formatterRow(spec.typeName ?? 'formatter.Context', r as Record<string, unknown>);
  const body = rows.map((r) => `${execute(t, asRow(r))}\n`).join('');
  if (!effective.startsWith('table')) return body;
  let header: string;
  try {
    header = executeTemplate(t, HEADER_SET, headerContext(spec.headers));
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
    // Docker ignores a header that fails, and prints what came before the failure
    header = e.partial;
  }
  return tabwrite(`${header}\n${body}`);
}

/** Go's json.MarshalIndent with 4 spaces, HTML characters escaped. */
export function goJsonIndent(v: unknown): string {
  return JSON.stringify(v, null, 4).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export interface InspectResult {
  stdout: string;
  /** a document the template failed on, or the template itself (each Docker's message) */
  errors: MobyDickError[];
  /** Docker's: 64 for a template that does not parse, 1 when a document failed, else 0 */
  exitCode: number;
}

/**
 * What `inspect` prints, as Docker: each document through FORMAT, a line each
 * (a missing key of the document is an error, as Docker's fallback to the raw
 * document with missingkey=error makes it; the other documents still print,
 * and an empty line when none did), `json` for one compact array, or without
 * a format all of them as one indented JSON array.
 */
export interface InspectOptions {
  /**
   * The Go type of the documents when Docker has no raw JSON to fall back on
   * (volume inspect: "volume.Volume"): a missing field is then "can't evaluate
   * field X in type T" rather than "map has no entry for key".
   */
  typeName?: string;
}

export function inspectResult(docs: readonly unknown[], format: string | undefined, options: InspectOptions = {}): InspectResult {
  if (format === undefined || format === '') return { stdout: `${goJsonIndent(docs)}\n`, errors: [], exitCode: 0 };
  if (format === 'json') return { stdout: `${goJson(docs, true)}\n`, errors: [], exitCode: 0 };
  let t: ParsedTemplate;
  try {
    t = parseFormat(format);
  } catch (e) {
    if (e instanceof MobyDickError) return { stdout: '', errors: [e], exitCode: 64 };
    throw e;
  }
  let stdout = '';
  const errors: MobyDickError[] = [];
  for (const d of docs) {
    try {
      const typed = options.typeName !== undefined && typeof d === 'object' && d !== null;
      stdout += `${typed ? execute(t, new GoObject(options.typeName!, d as Record<string, unknown>)) : execute(t, d, { missingKeyError: true })}\n`;
    } catch (e) {
      if (!(e instanceof MobyDickError)) throw e;
      errors.push(e);
    }
  }
  return { stdout: stdout === '' ? '\n' : stdout, errors, exitCode: errors.length ? 1 : 0 };
}

/** inspectResult's output, or its first error thrown. */
export function inspectOutput(docs: readonly unknown[], format: string | undefined): string {
  const r = inspectResult(docs, format);
  if (r.errors[0]) throw r.errors[0];
  return r.stdout;
}

/** Prints inspectResult (errors on stderr, each on its line) and gives the exit status. */
export function writeInspect(docs: readonly unknown[], format: string | undefined, options: InspectOptions = {}): number {
  const r = inspectResult(docs, format, options);
  process.stdout.write(r.stdout);
  for (const e of r.errors) process.stderr.write(`${formatError(e)}\n`);
  return r.exitCode;
}
