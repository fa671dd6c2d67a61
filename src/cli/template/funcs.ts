/**
 * The functions of a template: Go's builtins (and, or, not, len, index,
 * slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js,
 * urlquery, call) and the ones Docker's CLI adds (json, split, join, title,
 * lower, upper, pad, truncate), plus Docker's header set, which leaves a
 * table's column names as they are.
 */
import { formatV, goJson, GoObject, goTypeName, isInt, isNumber, isPlainObject, isStringMap, numberValue, sprint, sprintln } from './go-values.js';
import { sprintf } from './sprintf.js';

/** string and int must be of that Go type; any turns no value into nil; value passes everything as is (Go's reflect.Value). */
export type ParamType = 'string' | 'int' | 'any' | 'value';

export interface TemplateFunction {
  params: readonly ParamType[];
  /** the type of the further arguments of a variadic function */
  variadic?: ParamType;
  /** throws an Error whose message Go prints after "error calling NAME: " */
  call(...args: unknown[]): unknown;
}

export type FunctionMap = Readonly<Record<string, TemplateFunction>>;

const fn = (params: readonly ParamType[], call: (...args: never[]) => unknown, variadic?: ParamType): TemplateFunction =>
  ({ params, call: call as (...args: unknown[]) => unknown, ...(variadic ? { variadic } : {}) });

/** Go's truth: false, 0, nil, no value, and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  if (isNumber(v)) return numberValue(v) !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoObject) return v.options.isMap ? Object.keys(v.fields).length > 0 : true;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid' | 'other';
function basicKind(v: unknown): Kind {
  if (v === undefined) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (isNumber(v)) return 'float';
  return 'other';
}

const BAD_COMPARISON = 'incompatible types for comparison';
const BAD_COMPARISON_TYPE = 'invalid type for comparison';

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (a !== undefined && b !== undefined) {
        if ((k1 === 'other' && a === null) || (k2 === 'other' && b === null)) continue;
        throw new Error(BAD_COMPARISON);
      }
      continue;
    }
    if (k1 === 'other') {
      if (a === null || b === null) {
        if (a === b) return true;
        continue;
      }
      if (Array.isArray(a) || isPlainObject(a) || a instanceof GoObject) throw new Error(`non-comparable type ${formatV(a)}: ${goTypeName(a)}`);
      continue;
    }
    if (k1 === 'invalid') return true;
    if (isNumber(a) && isNumber(b) ? numberValue(a) === numberValue(b) : a === b) return true;
  }
  return false;
}

function lessThan(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k2 === 'invalid' || k2 === 'other') throw new Error(BAD_COMPARISON_TYPE);
  if (k1 !== k2) throw new Error(BAD_COMPARISON);
  if (k1 === 'bool') throw new Error(BAD_COMPARISON_TYPE);
  if (isNumber(a) && isNumber(b)) return numberValue(a) < numberValue(b);
  return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)) < 0;
}

function length(v: unknown): number {
  if (v === undefined) throw new Error('reflect: call of reflect.Value.Type on zero Value');
  if (v === null) throw new Error('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  if (v instanceof GoObject && v.options.isMap) return Object.keys(v.fields).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function indexArg(i: unknown, cap: number): number {
  if (i === undefined || i === null) throw new Error('cannot index slice/array with nil');
  if (!isInt(i)) throw new Error(`cannot index slice/array with type ${goTypeName(i)}`);
  if (i < 0 || i > cap) throw new Error(`index out of range: ${i}`);
  return i;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  let v = item;
  if (v === undefined || v === null) throw new Error('index of untyped nil');
  for (const i of indexes) {
    if (v === null) throw new Error('index of nil pointer');
    if (typeof v === 'string' || Array.isArray(v)) {
      const bytes = typeof v === 'string' ? Buffer.from(v) : undefined;
      const len = bytes ? bytes.length : (v as unknown[]).length;
      const x = indexArg(i, len);
      // Go's check lets the length itself through, and reflect then refuses it
      if (x === len) throw new Error(`reflect: ${bytes ? 'string' : 'slice'} index out of range`);
      v = bytes ? bytes[x] : (v as unknown[])[x];
    } else if (isPlainObject(v) || (v instanceof GoObject && v.options.isMap)) {
      const m = (v instanceof GoObject ? v.fields : v) as Record<string, unknown>;
      if (typeof i !== 'string') throw new Error(`value has type ${goTypeName(i)}; should be string`);
      if (Object.hasOwn(m, i)) v = m[i];
      else v = isStringMap(m) ? '' : undefined;
    } else {
      throw new Error(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeName(item)}`);
  if (typeof item === 'string' && indexes.length === 3) throw new Error('cannot 3-index slice a string');
  const bytes = typeof item === 'string' ? Buffer.from(item) : undefined;
  const len = bytes ? bytes.length : (item as unknown[]).length;
  const idx = [0, len];
  indexes.forEach((x, n) => (idx[n] = indexArg(x, len)));
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  return bytes ? bytes.subarray(idx[0], idx[1]).toString() : (item as unknown[]).slice(idx[0], idx[1]);
}

const evalArgs = (args: readonly unknown[]): string => (args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args));

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '<') out += '\\u003C';
    else if (ch === '>') out += '\\u003E';
    else if (ch === '&') out += '\\u0026';
    else if (ch === '=') out += '\\u003D';
    else if (cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Go's url.QueryEscape. */
const queryEscape = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+').replace(/~/g, '%7E');

/** strings.Title's word boundaries: ASCII other than letters, digits and _; spaces beyond ASCII. */
function isSeparator(c: string): boolean {
  if (c.codePointAt(0)! <= 0x7f) return !/[0-9A-Za-z_]/.test(c);
  if (/[\p{L}\p{N}]/u.test(c)) return false;
  return /\s/u.test(c);
}

/** strings.Title: the first letter of each word in title case. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isSeparator(prev) ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

function join(elems: unknown, sep: string): string {
  if (elems === null || elems === undefined) return '';
  if (Array.isArray(elems)) return elems.map((e) => formatV(e)).join(sep);
  if (isPlainObject(elems)) return Object.values(elems).map((e) => formatV(e)).sort().join(sep);
  throw new Error(`expected slice, got ${goTypeName(elems)}`);
}

export const BUILTINS: FunctionMap = {
  and: fn(['value'], () => undefined, 'value'),
  or: fn(['value'], () => undefined, 'value'),
  not: fn(['value'], (v: unknown) => !isTrue(v)),
  len: fn(['value'], length),
  index: fn(['value'], index, 'value'),
  slice: fn(['value'], slice, 'value'),
  print: fn([], (...args: unknown[]) => sprint(args), 'any'),
  println: fn([], (...args: unknown[]) => sprintln(args), 'any'),
  printf: fn(['string'], (format: string, ...args: unknown[]) => sprintf(format, args), 'any'),
  eq: fn(['value'], eq, 'value'),
  ne: fn(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['value', 'value'], (a: unknown, b: unknown) => lessThan(a, b)),
  le: fn(['value', 'value'], (a: unknown, b: unknown) => lessThan(a, b) || eq(a, b)),
  gt: fn(['value', 'value'], (a: unknown, b: unknown) => !lessThan(a, b) && !eq(a, b)),
  ge: fn(['value', 'value'], (a: unknown, b: unknown) => !lessThan(a, b)),
  html: fn([], (...args: unknown[]) => htmlEscape(evalArgs(args)), 'any'),
  js: fn([], (...args: unknown[]) => jsEscape(evalArgs(args)), 'any'),
  urlquery: fn([], (...args: unknown[]) => queryEscape(evalArgs(args)), 'any'),
  call: fn(['value'], (f: unknown) => {
    throw new Error(f === undefined || f === null ? 'call of nil' : `non-function of type ${goTypeName(f)}`);
  }, 'value'),
};

/** Docker's templates.basicFunctions. */
export const DOCKER_FUNCTIONS: FunctionMap = {
  json: fn(['any'], (v: unknown) => goJson(v, false)),
  split: fn(['string', 'string'], (s: string, sep: string) => (sep === '' ? [...s] : s.split(sep))),
  join: fn(['any', 'string'], join),
  title: fn(['string'], title),
  lower: fn(['string'], (s: string) => s.toLowerCase()),
  upper: fn(['string'], (s: string) => s.toUpperCase()),
  pad: fn(['string', 'int', 'int'], (s: string, prefix: number, suffix: number) => (s === '' ? s : ' '.repeat(Math.max(0, prefix)) + s + ' '.repeat(Math.max(0, suffix)))),
  truncate: fn(['string', 'int'], (s: string, n: number) => {
    const b = Buffer.from(s);
    return b.length < n ? s : b.subarray(0, Math.max(0, n)).toString();
  }),
};

/** Docker's templates.HeaderFunctions: a table's header keeps its column names. */
export const HEADER_FUNCTIONS: FunctionMap = {
  json: fn(['string'], (v: string) => v),
  split: fn(['string', 'string'], (v: string) => v),
  join: fn(['string', 'string'], (v: string) => v),
  title: fn(['string'], (v: string) => v),
  lower: fn(['string'], (v: string) => v),
  upper: fn(['string'], (v: string) => v),
  truncate: fn(['string', 'int'], (v: string) => v),
};
