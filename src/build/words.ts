/**
 * Words of a Dockerfile instruction and their variables, as Docker's
 * builder treats them (its documented rules for environment replacement):
 *
 * - splitWords: an argument split at unquoted, unescaped whitespace, quotes
 *   and escapes kept (ENV, LABEL and ARG pairs are split so, then each
 *   word is expanded);
 * - expandWord: one word with its quotes removed, escapes applied and
 *   variables replaced: `$VAR`, `${VAR}`, `${VAR:-word}` (word when VAR is
 *   unset or empty), `${VAR-word}` (when unset), `${VAR:+word}` (word when
 *   VAR is set and not empty, else empty), `${VAR+word}` (when set),
 *   `${VAR:?message}` and `${VAR?message}` (an error when unset (or empty)).
 *   Nothing is replaced inside single quotes; inside double quotes the
 *   escape character escapes only `"`, `$` and itself. An unset variable
 *   is empty.
 *
 * The escape character is `\` unless the Dockerfile's `escape` directive
 * says `` ` ``.
 */
import { MobyDickError } from '../errors.js';

/** the variables in scope: ENV and ARG values, by name */
export type Vars = ReadonlyMap<string, string>;

/** TEXT split at whitespace outside quotes and not escaped; quotes and escapes stay in the words. */
export function splitWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === undefined && /\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      cur += c + text[++i]!;
      continue;
    }
    if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = undefined;
    cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly vars: Vars,
    private readonly escape: string,
    /** the names read, for cache keys that depend on them */
    readonly used: Set<string>,
  ) {}

  /** the whole word, or up to an unmatched STOP ('}' inside ${...}) */
  word(stop?: string): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (stop !== undefined && c === stop) return out;
      if (c === this.escape) {
        this.i++;
        if (this.i >= this.s.length) return out + c; // a lone escape at the end is kept
        out += this.s[this.i++]!;
      } else if (c === "'") {
        out += this.single();
      } else if (c === '"') {
        out += this.double();
      } else if (c === '$') {
        out += this.dollar();
      } else {
        out += c;
        this.i++;
      }
    }
    if (stop !== undefined) throw this.bad(`missing '${stop}' in ${this.s}`);
    return out;
  }

  private single(): string {
    const end = this.s.indexOf("'", this.i + 1);
    if (end < 0) throw this.bad(`unexpected end of statement while looking for matching single-quote in ${this.s}`);
    const v = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return v;
  }

  private double(): string {
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === this.escape && this.i + 1 < this.s.length) {
        const n = this.s[this.i + 1]!;
        if (n === '"' || n === '$' || n === this.escape) {
          out += n;
          this.i += 2;
          continue;
        }
      }
      if (c === '$') {
        out += this.dollar();
        continue;
      }
      out += c;
      this.i++;
    }
    throw this.bad(`unexpected end of statement while looking for matching double-quote in ${this.s}`);
  }

  private name(): string {
    let n = '';
    while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i]!)) n += this.s[this.i++]!;
    return n;
  }

  private lookup(name: string): string | undefined {
    this.used.add(name);
    return this.vars.get(name);
  }

  private dollar(): string {
    this.i++; // $
    const c = this.s[this.i];
    if (c === undefined) return '$';
    if (c !== '{') {
      if (!NAME_START.test(c)) return '$';
      return this.lookup(this.name()) ?? '';
    }
    this.i++; // {
    const name = this.name();
    if (name === '') throw this.bad(`bad substitution: missing variable name in ${this.s}`);
    const value = this.lookup(name);
    if (this.s[this.i] === '}') {
      this.i++;
      return value ?? '';
    }
    let colon = false;
    if (this.s[this.i] === ':') {
      colon = true;
      this.i++;
    }
    const op = this.s[this.i];
    if (op !== '-' && op !== '+' && op !== '?') throw this.bad(`unsupported modifier (${colon ? ':' : ''}${op ?? ''}) in substitution: ${this.s}`);
    this.i++;
    const word = this.word('}');
    this.i++; // }
    const unset = value === undefined || (colon && value === '');
    switch (op) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      default:
        if (unset) throw this.bad(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
    }
  }

  private bad(message: string): MobyDickError {
    return new MobyDickError('BUILD', message, { subject: this.s });
  }
}

/** WORD with its quotes removed, its escapes applied and its variables replaced by VARS. USED collects the names read. */
export function expandWord(word: string, vars: Vars, escape = '\\', used: Set<string> = new Set()): string {
  return new Lexer(word, vars, escape, used).word();
}

/** TEXT split into words (splitWords), each one expanded. */
export function expandWords(text: string, vars: Vars, escape = '\\', used?: Set<string>): string[] {
  return splitWords(text, escape).map((w) => expandWord(w, vars, escape, used));
}

/**
 * KEY=VALUE pairs (ENV, LABEL, ARG), split and expanded; the legacy
 * `ENV KEY VALUE` form (no `=` in the first word) is one pair whose value
 * is the rest of the line. KEY_ONLY allows a name without a value (ARG).
 */
export function expandPairs(text: string, vars: Vars, escape = '\\', keyOnly = false): [string, string | undefined][] {
  const words = splitWords(text, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=') && !keyOnly) {
    if (words.length < 2) throw new MobyDickError('BUILD', `missing a value for ${words[0]}`, { subject: text });
    const rest = text.trimStart().slice(words[0]!.length).trim();
    return [[expandWord(words[0]!, vars, escape), expandWord(rest, vars, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) {
      if (keyOnly) return [expandWord(w, vars, escape), undefined];
      throw new MobyDickError('BUILD', `syntax error - can't find = in "${w}". Must be of the form: name=value`, { subject: w });
    }
    const key = expandWord(w.slice(0, eq), vars, escape);
    if (key === '') throw new MobyDickError('BUILD', `a name is empty in "${w}"`, { subject: w });
    return [key, expandWord(w.slice(eq + 1), vars, escape)];
  });
}
