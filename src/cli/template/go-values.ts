/**
 * How JavaScript values stand for Go values in templates, and Go's fmt
 * printing of them (%v, Sprint, Sprintln, Sprintf).
 *
 * - undefined is Go's invalid value ("<no value>"), null is nil ("<nil>");
 * - strings, booleans; a number is an int when integral, a float64 otherwise
 *   (GoFloat marks a float with an integral value, from a template constant);
 * - arrays are slices; plain objects are maps (keys sorted, as Go prints and
 *   ranges over them);
 * - GoObject is a struct (or a map with methods): fields, methods that take
 *   arguments (ps's `.Label "key"`), a Go type name for errors, and the JSON
 *   its MarshalJSON gives.
 */

export class GoFloat {
  constructor(readonly value: number) {}
}

/** Go's nil slice of a typed document: empty to a template (prints [], len 0, false), null in JSON. */
export function nilSlice<T>(): T[] {
  return Object.defineProperty([] as T[], 'toJSON', { value: () => null, enumerable: false });
}

export type GoMethod = (...args: unknown[]) => unknown;

export interface GoObjectOptions {
  /** methods callable with arguments: name → parameter types and the function */
  methods?: Record<string, { params: readonly GoParam[]; fn: GoMethod }>;
  /** a map rather than a struct: a missing key is no value, not an error */
  isMap?: boolean;
  /** the fields are methods without arguments (Docker's formatter contexts): given arguments, Go says "wrong number of args" */
  fieldsAreMethods?: boolean;
  /** what {{json .}} shows (Docker's contexts marshal their fields, HTML escaped, keys sorted) */
  json?: () => string;
}

export type GoParam = 'string' | 'int' | 'any';

export class GoObject {
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
    readonly options: GoObjectOptions = {},
  ) {}
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoObject) && !(v instanceof GoFloat);

/** A map whose values are all strings stands for Go's map[string]string (labels, options): its zero value is "". */
export const isStringMap = (v: Record<string, unknown>): boolean => Object.values(v).every((x) => typeof x === 'string');

export const sortedKeys = (v: Record<string, unknown>): string[] => Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Go's type name of a value, as errors and %T print it. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v instanceof GoFloat) return 'float64';
  if (v instanceof GoObject) return v.typeName;
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => typeof x === 'string') ? '[]string' : '[]interface {}';
  if (isPlainObject(v)) return isStringMap(v) ? 'map[string]string' : 'map[string]interface {}';
  return 'interface {}';
}

export const isNumber = (v: unknown): v is number | GoFloat => typeof v === 'number' || v instanceof GoFloat;
export const numberValue = (v: number | GoFloat): number => (v instanceof GoFloat ? v.value : v);
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The exact value of a finite double as NUM / DEN (BigInts). */
function exactRational(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const e = (exp === 0 ? 1 : exp) - 1075;
  return e >= 0 ? [mant << BigInt(e), 1n] : [mant, 1n << BigInt(-e)];
}

/**
 * X (positive) rounded to PLACES decimals as Go rounds: to nearest, ties to even on the
 * exact binary value (JavaScript's toFixed breaks ties upward). Returns the digits of
 * round(X * 10^PLACES), or undefined when X is no tie (toFixed is then exact as Go).
 */
function tieToEven(x: number, places: number): bigint | undefined {
  let [num, den] = exactRational(x);
  if (places >= 0) num *= 10n ** BigInt(places);
  else den *= 10n ** BigInt(-places);
  const twice = 2n * num;
  if (twice % den !== 0n || (twice / den) % 2n === 0n) return undefined;
  const floor = (twice / den - 1n) / 2n;
  return floor % 2n === 0n ? floor : floor + 1n;
}

/** Go's %.Nf of X >= 0. */
export function toFixedGo(x: number, places: number): string {
  const n = Number.isFinite(x) ? tieToEven(x, places) : undefined;
  if (n === undefined) return x.toFixed(places);
  const digits = n.toString().padStart(places + 1, '0');
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/** Go's %.Ne of X >= 0 (mantissa and exponent as JavaScript writes them: "1.5e+3"). */
export function toExponentialGo(x: number, places: number): string {
  const plain = x.toExponential(places);
  if (!Number.isFinite(x) || x === 0) return plain;
  const exp10 = Number(plain.split('e')[1]);
  const n = tieToEven(x, places - exp10);
  if (n === undefined) return plain;
  let digits = n.toString();
  let e = exp10;
  if (digits.length > places + 1) {
    digits = digits.slice(0, places + 1);
    e++;
  }
  return `${digits[0]}${places > 0 ? `.${digits.slice(1)}` : ''}e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64): the shortest digits, %e form for exponents < -4 or >= 21 (%v uses 'g'). */
export function formatFloatG(f: number, prec = -1, upper = false): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const shortest = prec < 0;
  const exp = shortest ? f.toExponential() : (f < 0 ? '-' : '') + toExponentialGo(Math.abs(f), Math.max(prec, 1) - 1);
  const [mant, e] = exp.split('e') as [string, string];
  const x = Number(e);
  const digits = mant.replace('-', '').replace('.', '');
  const eprec = shortest ? 6 : Math.max(prec, 1) > digits.length && digits.length >= x + 1 ? digits.length : Math.max(prec, 1);
  if (x < -4 || x >= eprec) {
    let m = mant;
    if (!shortest) m = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const ee = `${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
    return `${m}${upper ? 'E' : 'e'}${ee}`;
  }
  if (shortest) return f.toFixed(Math.max(0, digits.length - 1 - x)).replace(/^(-?)0+(?=\d)/, '$1');
  const fixed = (f < 0 ? '-' : '') + toFixedGo(Math.abs(f), Math.max(0, Math.max(prec, 1) - 1 - x));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** fmt's %v of a value (what {{.}} prints, after "<no value>" for an invalid one). */
export function formatV(v: unknown, plus = false): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatG(v);
  if (v instanceof GoFloat) return formatFloatG(v.value);
  if (Array.isArray(v)) return `[${v.map((x) => formatV(x, plus)).join(' ')}]`;
  if (v instanceof GoObject) {
    if (v.options.isMap) return `map[${sortedKeys(v.fields as Record<string, unknown>).map((k) => `${k}:${formatV(v.fields[k], plus)}`).join(' ')}]`;
    const fields = Object.entries(v.fields).filter(([, x]) => typeof x !== 'function');
    return `{${fields.map(([k, x]) => (plus ? `${k}:${formatV(x, plus)}` : formatV(x, plus))).join(' ')}}`;
  }
  if (isPlainObject(v)) return `map[${sortedKeys(v).map((k) => `${k}:${formatV(v[k], plus)}`).join(' ')}]`;
  return String(v);
}

/** fmt.Sprint: operands printed with %v, a space between two when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatV(a);
  });
  return out;
}

export const sprintln = (args: readonly unknown[]): string => `${args.map((a) => formatV(a)).join(' ')}\n`;

/** Go's json.Marshal shape of a value; HTML characters escaped when ESCAPE (json.Marshal), kept otherwise (Docker's json function). */
export function goJson(v: unknown, escape: boolean): string {
  const text = toJson(v, escape);
  return text.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function toJson(v: unknown, escape: boolean): string {
  if (v === undefined || v === null) return 'null';
  // a value that says how it is marshalled (nilSlice, a Date)
  if (typeof v === 'object' && !(v instanceof GoObject) && typeof (v as { toJSON?: unknown }).toJSON === 'function') return toJson((v as { toJSON(): unknown }).toJSON(), escape);
  if (v instanceof GoObject) {
    if (v.options.json) return v.options.json();
    const fields = v.options.isMap ? sortedKeys(v.fields as Record<string, unknown>) : Object.keys(v.fields);
    return `{${fields.filter((k) => typeof v.fields[k] !== 'function').map((k) => `${jsonString(k, escape)}:${toJson(v.fields[k], escape)}`).join(',')}}`;
  }
  if (v instanceof GoFloat) return JSON.stringify(v.value);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return jsonString(v, escape);
  if (Array.isArray(v)) return `[${v.map((x) => toJson(x, escape)).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = isStringMap(v) ? sortedKeys(v) : Object.keys(v);
    return `{${keys.filter((k) => v[k] !== undefined).map((k) => `${jsonString(k, escape)}:${toJson(v[k], escape)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const jsonString = (s: string, escape: boolean): string => {
  const j = JSON.stringify(s);
  return escape ? j.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026') : j;
};
