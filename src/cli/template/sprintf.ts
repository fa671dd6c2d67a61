/**
 * Go's fmt.Sprintf for template values (go-values.ts): the verbs scripts use
 * (%v %s %q %d %f %e %g %x %X %o %b %c %t %T %%), flags (- + # 0 space),
 * width and precision (also *), and Go's marks for mistakes: %!d(string=x),
 * %!d(MISSING), %!(EXTRA int=1).
 */
import { goQuote } from './lex.js';
import { formatFloatG, formatV, GoFloat, GoObject, goTypeName, isPlainObject, toExponentialGo, toFixedGo } from './go-values.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  prec?: number;
}

const runeLength = (s: string): number => [...s].length;

/** Pads S to the width; NUMERIC: zeros go after the sign (for integers only without a precision, as Go). */
function pad(s: string, spec: Spec, numeric: 'int' | 'float' | false = false): string {
  if (spec.width === undefined) return s;
  const n = spec.width - runeLength(s);
  if (n <= 0) return s;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && (numeric === 'float' || (numeric === 'int' && spec.prec === undefined))) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  if (spec.zero && !numeric) return '0'.repeat(n) + s;
  return ' '.repeat(n) + s;
}

const bad = (verb: string, v: unknown): string => (v === null || v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(v)}=${formatV(v)})`);

function signed(s: string, spec: Spec, negative: boolean): string {
  if (negative) return `-${s}`;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

function formatInt(n: number, verb: string, spec: Spec): string | undefined {
  const abs = Math.abs(n);
  let digits: string;
  switch (verb) {
    case 'd': case 'v': digits = String(abs); break;
    case 'x': digits = abs.toString(16); if (spec.sharp) digits = `0x${digits}`; break;
    case 'X': digits = abs.toString(16).toUpperCase(); if (spec.sharp) digits = `0X${digits}`; break;
    case 'o': digits = abs.toString(8); if (spec.sharp) digits = `0${digits}`; break;
    case 'O': digits = `0o${abs.toString(8)}`; break;
    case 'b': digits = abs.toString(2); break;
    case 'c': return pad(String.fromCodePoint(n), spec);
    case 'q': return pad(`'${String.fromCodePoint(n)}'`, spec);
    case 'U': return pad(`U+${abs.toString(16).toUpperCase().padStart(4, '0')}`, spec);
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': return undefined;
    default: return undefined;
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  return pad(signed(digits, spec, n < 0), spec, 'int');
}

function formatFloat(f: number, verb: string, spec: Spec): string | undefined {
  let s: string;
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  const expForm = (x: string): string => x.replace(/e([+-])(\d)$/, 'e$10$2');
  switch (verb) {
    case 'v': case 'g': s = formatFloatG(a, spec.prec ?? -1); break;
    case 'G': s = formatFloatG(a, spec.prec ?? -1, true); break;
    case 'f': case 'F': s = toFixedGo(a, spec.prec ?? 6); break;
    case 'e': s = expForm(toExponentialGo(a, spec.prec ?? 6)); break;
    case 'E': s = expForm(toExponentialGo(a, spec.prec ?? 6)).toUpperCase(); break;
    default: return undefined;
  }
  if (!Number.isFinite(f)) s = Number.isNaN(f) ? 'NaN' : 'Inf';
  return pad(signed(s, spec, neg && !Number.isNaN(f)), spec, Number.isFinite(f) ? 'float' : false);
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  const cut = spec.prec === undefined ? s : [...s].slice(0, spec.prec).join('');
  switch (verb) {
    case 'v': case 's': return pad(cut, spec);
    case 'q': return pad(spec.sharp && !cut.includes('`') ? `\`${cut}\`` : goQuote(cut), spec);
    case 'x': case 'X': {
      const hex = Buffer.from(cut, 'utf8').toString('hex');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
    }
    default: return undefined;
  }
}

/** One operand under one verb; undefined when the verb does not fit the value (the caller prints %!verb(type=value)). */
function formatOne(v: unknown, verb: string, spec: Spec): string | undefined {
  if (verb === 'T') return pad(goTypeName(v), spec);
  if (v === null || v === undefined) return verb === 'v' || verb === 's' ? pad(verb === 'v' ? '<nil>' : '%!s(<nil>)', spec) : undefined;
  if (typeof v === 'boolean') return verb === 'v' || verb === 't' ? pad(String(v), spec) : undefined;
  if (typeof v === 'bigint') return verb === 'v' || verb === 'd' ? pad(signed(String(v < 0n ? -v : v), spec, v < 0n), spec, 'int') : undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return formatInt(v, verb, spec);
  if (typeof v === 'number') return formatFloat(v, verb, spec);
  if (v instanceof GoFloat) return formatFloat(v.value, verb, spec);
  if (typeof v === 'string') return formatString(v, verb, spec);
  if (Array.isArray(v)) {
    // Go formats each element with the verb, width and flags
    return `[${v.map((x) => formatOne(x, verb, spec) ?? bad(verb, x)).join(' ')}]`;
  }
  if (isPlainObject(v) || v instanceof GoObject) {
    if (verb === 'v' || verb === 's' || verb === 'd') return pad(formatV(v, spec.plus), spec);
    return undefined;
  }
  return undefined;
}

/** Go's fmt.Sprintf(FORMAT, ARGS...). */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const takeNumber = (): number | undefined => {
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = !spec.minus;
      else if (c === ' ') spec.space = true;
      else break;
    }
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      if (typeof w === 'number' && Number.isInteger(w)) {
        spec.width = Math.abs(w);
        if (w < 0) spec.minus = true;
      } else out += '%!(BADWIDTH)';
    } else spec.width = takeNumber();
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0) spec.prec = p;
        else out += '%!(BADPREC)';
      } else spec.prec = takeNumber() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = args[argi++];
    out += formatOne(v, verb, spec) ?? bad(verb, v);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatV(a)}`)).join(', ')})`;
  }
  return out;
}
