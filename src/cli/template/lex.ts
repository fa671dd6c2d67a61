/**
 * The lexer of Go's text/template: a template's text cut into items (text,
 * delimiters, fields, variables, identifiers, constants, punctuation), with
 * Go's trim markers (`{{- ` and ` -}}`) and comments. An error becomes the
 * last item, carrying Go's message, as Go's lexer does.
 */

export type ItemType =
  | 'error' | 'eof' | 'text' | 'leftDelim' | 'rightDelim' | 'space'
  | 'field' | 'variable' | 'identifier' | 'bool' | 'number' | 'string' | 'rawString' | 'charConstant'
  | 'pipe' | 'leftParen' | 'rightParen' | 'declare' | 'assign' | 'char' | 'dot' | 'nil'
  | 'keyword';

export interface Item {
  type: ItemType;
  /** offset in the template (UTF-16 units) */
  pos: number;
  val: string;
  /** line number, from 1 */
  line: number;
}

export const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);

const LEFT = '{{';
const RIGHT = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string): boolean => c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);

/** Go's item.String(), as parse errors quote items. */
export function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF';
  if (i.type === 'error') return i.val;
  if (i.type === 'keyword') return `<${i.val}>`;
  const chars = [...i.val];
  if (chars.length > 10) return `${goQuote(chars.slice(0, 10).join(''))}...`;
  return goQuote(i.val);
}

/** Go's strconv.Quote, for what templates quote (printable text kept, controls escaped). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  let insideAction = false;
  let done = false;

  const emit = (type: ItemType, val = input.slice(start, pos)): void => {
    items.push({ type, pos: start, val, line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countNewlines(input.slice(start, pos));
    start = pos;
    startLine = line;
  };
  const fail = (message: string): void => {
    items.push({ type: 'error', pos: start, val: message, line: startLine });
    done = true;
  };
  const advance = (n: number): void => {
    line += countNewlines(input.slice(pos, pos + n));
    pos += n;
  };
  const hasLeftTrim = (at: number): boolean => input[at] === '-' && isSpace(input[at + 1] ?? '');
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (input[pos] === ' ' || input[pos] === '\t' || input[pos] === '\r' || input[pos] === '\n') {
      if (input[pos + 1] === '-' && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    }
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };

  const lexText = (): void => {
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      pos = input.length;
      line += countNewlines(input.slice(start, pos));
      if (pos > start) emit('text');
      items.push({ type: 'eof', pos, val: '', line });
      done = true;
      return;
    }
    let end = x;
    const trim = hasLeftTrim(x + LEFT.length);
    if (trim) {
      while (end > start && isSpace(input[end - 1]!)) end--;
    }
    line += countNewlines(input.slice(start, x));
    pos = end;
    if (pos > start) emit('text', input.slice(start, end));
    pos = x;
    start = x;
    startLine = line;
    lexLeftDelim(trim);
  };

  const lexLeftDelim = (trim: boolean): void => {
    pos += LEFT.length;
    const afterMarker = trim ? 2 : 0;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      lexComment();
      return;
    }
    emit('leftDelim');
    pos += afterMarker;
    ignore();
    parenDepth = 0;
    insideAction = true;
  };

  const lexComment = (): void => {
    pos += LEFT_COMMENT.length;
    const x = input.indexOf(RIGHT_COMMENT, pos);
    if (x < 0) return fail('unclosed comment');
    advance(x + RIGHT_COMMENT.length - pos);
    const d = atRightDelim();
    if (!d.delim) return fail('comment ends before closing delimiter');
    if (d.trim) pos += 2;
    pos += RIGHT.length;
    ignore();
    if (d.trim) skipLeadingSpace();
  };

  const skipLeadingSpace = (): void => {
    while (pos < input.length && isSpace(input[pos]!)) advance(1);
    ignore();
  };

  const lexRightDelim = (trim: boolean): void => {
    if (trim) {
      pos += 2; // the space and the marker
      ignore();
    }
    pos += RIGHT.length;
    emit('rightDelim');
    if (trim) skipLeadingSpace();
    insideAction = false;
  };

  const lexInsideAction = (): void => {
    const d = atRightDelim();
    if (d.delim) return parenDepth === 0 ? lexRightDelim(d.trim) : fail('unclosed left paren');
    if (pos >= input.length) return fail('unclosed action');
    const c = input[pos]!;
    if (isSpace(c)) {
      while (pos < input.length && isSpace(input[pos]!)) {
        if (atRightDelim().trim) break;
        advance(1);
      }
      emit('space');
      return;
    }
    if (c === '=') {
      pos++;
      return emit('assign');
    }
    if (c === ':') {
      if (input[pos + 1] !== '=') return fail('expected :=');
      pos += 2;
      return emit('declare');
    }
    if (c === '|') {
      pos++;
      return emit('pipe');
    }
    if (c === '"') return lexQuote();
    if (c === '`') return lexRawQuote();
    if (c === '$') return lexVariable();
    if (c === "'") return lexChar();
    if (c === '.') {
      const next = input[pos + 1] ?? '';
      if (next < '0' || next > '9') return lexField();
    }
    if (c === '+' || c === '-' || (c >= '0' && c <= '9') || c === '.') return lexNumber();
    if (isAlnum(c)) return lexIdentifier();
    if (c === '(') {
      pos++;
      emit('leftParen');
      parenDepth++;
      return;
    }
    if (c === ')') {
      pos++;
      emit('rightParen');
      parenDepth--;
      if (parenDepth < 0) return fail(`unexpected right paren`);
      return;
    }
    const cp = input.codePointAt(pos)!;
    const ch = String.fromCodePoint(cp);
    if (cp <= 0x7f && cp >= 0x20 && cp !== 0x7f) {
      pos += ch.length;
      return emit('char');
    }
    return fail(`unrecognized character in action: ${goCharQuote(ch)}`);
  };

  const scanAlnum = (): void => {
    while (pos < input.length && isAlnum(String.fromCodePoint(input.codePointAt(pos)!))) pos += String.fromCodePoint(input.codePointAt(pos)!).length;
  };

  const atTerminator = (): boolean => {
    const c = input[pos] ?? '';
    if (c === '' || isSpace(c)) return true;
    if ('.,|:)('.includes(c)) return true;
    return input.startsWith(RIGHT, pos);
  };

  const lexIdentifier = (): void => {
    scanAlnum();
    if (!atTerminator()) return fail(`bad character ${goCharQuote(input[pos]!)}`);
    const word = input.slice(start, pos);
    if (KEYWORDS.has(word)) return emit('keyword');
    if (word === 'true' || word === 'false') return emit('bool');
    if (word === 'nil') return emit('nil');
    emit('identifier');
  };

  const lexField = (): void => lexFieldOrVariable('field');
  const lexVariable = (): void => lexFieldOrVariable('variable');
  const lexFieldOrVariable = (type: 'field' | 'variable'): void => {
    if (atTerminatorAfter(pos + 1)) {
      pos++;
      return emit(type === 'variable' ? 'variable' : 'dot');
    }
    pos++;
    scanAlnum();
    if (!atTerminator()) return fail(`bad character ${goCharQuote(input[pos]!)}`);
    emit(type);
  };
  const atTerminatorAfter = (at: number): boolean => {
    const saved = pos;
    pos = at;
    const t = atTerminator();
    pos = saved;
    return t;
  };

  const lexChar = (): void => {
    pos++;
    for (;;) {
      const c = input[pos];
      if (c === '\\') {
        if (pos + 1 < input.length && input[pos + 1] !== '\n') {
          pos += 2;
          continue;
        }
      }
      if (c === undefined || c === '\n') return fail('unterminated character constant');
      pos++;
      if (c === "'") break;
    }
    emit('charConstant');
  };

  const lexQuote = (): void => {
    pos++;
    for (;;) {
      const c = input[pos];
      if (c === '\\') {
        if (pos + 1 < input.length && input[pos + 1] !== '\n') {
          pos += 2;
          continue;
        }
      }
      if (c === undefined || c === '\n') return fail('unterminated quoted string');
      pos++;
      if (c === '"') break;
    }
    emit('string');
  };

  const lexRawQuote = (): void => {
    const x = input.indexOf('`', pos + 1);
    if (x < 0) return fail('unterminated raw quoted string');
    advance(x + 1 - pos);
    items.push({ type: 'rawString', pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };

  const lexNumber = (): void => {
    const m = /^[+-]?(0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?)i?/.exec(input.slice(pos));
    const text = m?.[0] ?? '';
    pos += text.length;
    if (text === '' || isAlnum(input[pos] ?? '')) {
      pos++;
      return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
    }
    emit('number');
  };

  while (!done) {
    if (!insideAction) lexText();
    else lexInsideAction();
  }
  return items;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** A rune as Go's %#U prints it in lexer errors: U+0021 '!'. */
function goCharQuote(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}
