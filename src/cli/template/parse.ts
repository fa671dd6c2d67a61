/**
 * The parser of Go's text/template: items (lex.ts) to a tree of nodes, with
 * Go's checks at parse time (functions defined, variables declared, {{break}}
 * inside {{range}}) and Go's error messages: `template: NAME:LINE: MESSAGE`.
 */
import { goQuote, type Item, itemString, lex } from './lex.js';

interface At {
  /** offset in the template text */
  pos: number;
}
export interface TextNode extends At { type: 'text'; text: string }
export interface FieldNode extends At { type: 'field'; ident: string[] }
export interface VariableNode extends At { type: 'variable'; ident: string[] }
export interface IdentifierNode extends At { type: 'identifier'; ident: string }
export interface ChainNode extends At { type: 'chain'; node: ArgNode; field: string[] }
export interface DotNode extends At { type: 'dot' }
export interface NilNode extends At { type: 'nil' }
export interface BoolNode extends At { type: 'bool'; value: boolean }
export interface NumberNode extends At {
  type: 'number';
  text: string;
  /** an integer constant (also a float constant with an integral value, as Go) */
  int?: number;
  float?: number;
  /** 'x', shown as its code point */
  isChar: boolean;
}
export interface StringNode extends At { type: 'string'; quoted: string; text: string }
export interface PipeNode extends At { type: 'pipe'; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode extends At { type: 'command'; args: ArgNode[] }
export type ArgNode = FieldNode | VariableNode | IdentifierNode | ChainNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;

export interface ActionNode extends At { type: 'action'; line: number; pipe: PipeNode }
export interface BranchNode extends At {
  type: 'if' | 'range' | 'with';
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
export interface TemplateNode extends At { type: 'template'; line: number; name: string; pipe?: PipeNode }
export interface LoopControlNode extends At { type: 'break' | 'continue'; line: number }
export interface ListNode extends At { type: 'list'; nodes: Node[] }
export type Node = TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode | ListNode;

interface EndNode extends At { type: 'end' }
interface ElseNode extends At { type: 'else'; line: number }

/** A parsed template: its main tree and the ones {{define}} and {{block}} named. */
export interface ParsedTemplate {
  text: string;
  name: string;
  root: ListNode;
  defined: Map<string, ListNode>;
}

/** A parse error, with Go's text ("template: :1: function \"nope\" not defined"). */
export class TemplateParseError extends Error {}

export function nodeString(n: ArgNode | Node | CommandNode | EndNode | ElseNode): string {
  switch (n.type) {
    case 'text': return n.text;
    case 'field': return `.${n.ident.join('.')}`;
    case 'variable': return n.ident.join('.');
    case 'identifier': return n.ident;
    case 'chain': return `${n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)}.${n.field.join('.')}`;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'pipe': {
      const decl = n.decl.length ? `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command': return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if': case 'range': case 'with':
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`;
    case 'template': return `{{template ${goQuote(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ''}}}`;
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'list': return n.nodes.map(nodeString).join('');
    case 'end': return '{{end}}';
    case 'else': return '{{else}}';
  }
}

/** Go's strconv.Unquote of a string or character constant. */
export function unquote(q: string): string | undefined {
  if (q.startsWith('`')) return q.slice(1, -1).replaceAll('\r', '');
  const body = q.slice(1, -1);
  const quote = q[0]!;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === quote) return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e !== undefined && simple[e] !== undefined) out += simple[e];
    else if (e === quote) out += e;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) return undefined;
      const cp = parseInt(hex, 16);
      if (e === 'x') out += Buffer.from([cp]).toString('latin1');
      else if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return undefined;
      else out += String.fromCodePoint(cp);
      i += n;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else return undefined;
  }
  return out;
}

function parseNumber(text: string, isChar: boolean): { int?: number; float?: number } | undefined {
  if (isChar) {
    const s = unquote(text);
    if (s === undefined || [...s].length !== 1) return undefined;
    return { int: s.codePointAt(0)! };
  }
  if (text.endsWith('i')) return undefined; // complex constants: not supported
  const clean = text.replaceAll('_', '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  let int: number | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) int = parseInt(body.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(body)) int = parseInt(body.slice(2), 8);
  else if (/^0[bB][01]+$/.test(body)) int = parseInt(body.slice(2), 2);
  else if (/^0[0-7]*$/.test(body)) int = parseInt(body, 8);
  else if (/^[1-9][0-9]*$/.test(body)) int = parseInt(body, 10);
  if (int !== undefined) return { int: sign * int, float: sign * int };
  if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(body)) {
    const f = sign * Number(body);
    return Number.isInteger(f) && Math.abs(f) <= Number.MAX_SAFE_INTEGER ? { int: f, float: f } : { float: f };
  }
  return undefined;
}

class Parser {
  private items: Item[];
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  readonly defined = new Map<string, ListNode>();

  constructor(private readonly name: string, text: string, private readonly hasFunction: (name: string) => boolean) {
    this.items = lex(text);
  }

  private next(): Item {
    return this.items[Math.min(this.i++, this.items.length - 1)]!;
  }
  private backup(n = 1): void {
    this.i -= n;
  }
  private peek(): Item {
    return this.items[Math.min(this.i, this.items.length - 1)]!;
  }
  private nextNonSpace(): Item {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private current(): Item {
    return this.items[Math.max(0, Math.min(this.i - 1, this.items.length - 1))]!;
  }

  errorf(message: string, line = this.current().line): never {
    throw new TemplateParseError(`template: ${this.name}:${line}: ${message}`);
  }

  private unexpected(token: Item, context: string): never {
    if (token.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${itemString(token)}${extra}`, token.line);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`, token.line);
  }

  private expect(type: Item['type'], context: string): Item {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const save = this.i;
        this.next();
        const t = this.nextNonSpace();
        if (t.type === 'keyword' && t.val === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const t = this.nextNonSpace();
    if (t.type !== 'string' && t.type !== 'rawString') this.unexpected(t, context);
    const name = unquote(t.val);
    if (name === undefined) this.errorf('invalid syntax');
    this.expect('rightDelim', context);
    const saved = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.defined.set(name, list);
  }

  private itemList(): [ListNode, EndNode | ElseNode] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | EndNode | ElseNode {
    const token = this.nextNonSpace();
    if (token.type === 'text') return { type: 'text', pos: token.pos, text: token.val };
    if (token.type === 'leftDelim') {
      this.actionLine = token.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    this.unexpected(token, 'input');
  }

  private action(): Node | EndNode | ElseNode {
    const token = this.nextNonSpace();
    if (token.type === 'keyword') {
      switch (token.val) {
        case 'block': return this.blockControl();
        case 'break': case 'continue': return this.loopControl(token);
        case 'else': return this.elseControl();
        case 'end': return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
        case 'if': case 'range': case 'with': return this.branch(token.val);
        case 'template': return this.templateControl();
        case 'define': this.unexpected(token, 'command');
      }
    }
    this.backup();
    const t = this.peek();
    return { type: 'action', pos: t.pos, line: t.line, pipe: this.pipeline('command', 'rightDelim') };
  }

  private loopControl(token: Item): LoopControlNode {
    const next = this.nextNonSpace();
    if (next.type !== 'rightDelim') this.unexpected(next, `{{${token.val}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${token.val}}} outside {{range}}`);
    return { type: token.val as 'break' | 'continue', pos: token.pos, line: token.line };
  }

  private elseControl(): ElseNode {
    const peek = this.peekNonSpace();
    if (peek.type === 'keyword' && (peek.val === 'if' || peek.val === 'with')) return { type: 'else', pos: peek.pos, line: peek.line };
    const t = this.expect('rightDelim', 'else');
    return { type: 'else', pos: t.pos, line: t.line };
  }

  private branch(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      const [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        const peek = this.peek();
        if ((context === 'if' || context === 'with') && peek.type === 'keyword' && peek.val === context) {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.branch(context)] };
        } else {
          const [l, end] = this.itemList();
          if (end.type !== 'end') this.errorf(`expected end; found ${nodeString(end)}`);
          elseList = l;
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, ...(elseList ? { elseList } : {}) };
    } finally {
      this.vars.length = mark;
    }
  }

  private templateName(token: Item, context: string): string {
    if (token.type === 'string' || token.type === 'rawString') {
      const s = unquote(token.val);
      if (s === undefined) this.errorf('invalid syntax');
      return s;
    }
    this.unexpected(token, context);
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: token.pos, line: token.line, name, ...(pipe ? { pipe } : {}) };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const saved = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.defined.set(name, list);
    return { type: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.i;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.type === 'variable' || p.type === 'rightDelim' || p.type === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, i) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0]!.type)) this.errorf(`non executable command in pipeline stage ${i + 2}`);
        });
        return pipe;
      }
      switch (token.type) {
        case 'bool': case 'charConstant': case 'dot': case 'field': case 'identifier': case 'number':
        case 'nil': case 'rawString': case 'string': case 'variable': case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.backup();
      else if (token.type !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const field: string[] = [];
    while (this.peek().type === 'field') field.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field': return { type: 'field', pos, ident: [...node.ident, ...field] };
      case 'variable': return { type: 'variable', pos, ident: [...node.ident, ...field] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default: return { type: 'chain', pos, node, field };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!this.hasFunction(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return { type: 'identifier', pos: token.pos, ident: token.val };
      case 'dot': return { type: 'dot', pos: token.pos };
      case 'nil': return { type: 'nil', pos: token.pos };
      case 'variable': {
        if (!this.vars.includes(token.val)) this.errorf(`undefined variable ${goQuote(token.val)}`);
        return { type: 'variable', pos: token.pos, ident: [token.val] };
      }
      case 'field': return { type: 'field', pos: token.pos, ident: [token.val.slice(1)] };
      case 'bool': return { type: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant': case 'number': {
        const n = parseNumber(token.val, token.type === 'charConstant');
        if (!n) this.errorf(`illegal number syntax: ${goQuote(token.val)}`);
        return { type: 'number', pos: token.pos, text: token.val, isChar: token.type === 'charConstant', ...n };
      }
      case 'leftParen': return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString': {
        const text = unquote(token.val);
        if (text === undefined) this.errorf('invalid syntax');
        return { type: 'string', pos: token.pos, quoted: token.val, text };
      }
      default:
        this.backup();
        return undefined;
    }
  }
}

/** Parses TEXT as Go's template.New(NAME).Funcs(...).Parse(TEXT); throws TemplateParseError with Go's message. */
export function parseTemplate(text: string, hasFunction: (name: string) => boolean, name = ''): ParsedTemplate {
  const p = new Parser(name, text, hasFunction);
  const root = p.parse();
  return { text, name, root, defined: p.defined };
}
