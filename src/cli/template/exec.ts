/**
 * Executing a parsed template (parse.ts) on a value, as Go's text/template
 * does: fields and methods, variables, pipelines, if/with/range (with else,
 * break, continue), {{template}}, function calls with Go's argument checks,
 * and Go's error text: `template: :1:2: executing "" at <.Nope>: ...`.
 */
import { goQuote } from './lex.js';
import { type FunctionMap, isTrue, type ParamType, type TemplateFunction } from './funcs.js';
import { formatV, GoFloat, GoObject, goTypeName, isPlainObject, isStringMap, sortedKeys } from './go-values.js';
import { type ArgNode, type BranchNode, type CommandNode, type ListNode, type Node, nodeString, type NumberNode, type ParsedTemplate, type PipeNode } from './parse.js';

/** An execution error, with Go's text. */
export class TemplateExecError extends Error {
  /** what the template had written before it failed */
  partial = '';
}

export interface ExecOptions {
  /** Go's Option("missingkey=error"): a missing map key is an error rather than no value */
  missingKeyError?: boolean;
}

type AnyNode = ArgNode | Node | CommandNode;

class Break {}
class Continue {}
const BREAK = new Break();
const CONTINUE = new Continue();
/** no final value in a pipeline (Go's missingVal) */
const MISSING = Symbol('missing');
/** a pipeline's previous value, passed as the last argument (or MISSING) */
type Final = unknown;

class State {
  private node: AnyNode | undefined;
  private vars: { name: string; value: unknown }[];
  out = '';
  private depth = 0;

  constructor(
    private readonly tmpl: ParsedTemplate,
    private readonly funcs: FunctionMap,
    private readonly options: ExecOptions,
    dot: unknown,
  ) {
    this.vars = [{ name: '$', value: dot }];
  }

  private at(node: AnyNode): void {
    this.node = node;
  }

  errorf(message: string): never {
    const name = this.tmpl.name;
    if (!this.node) throw new TemplateExecError(`template: ${name}: ${message}`);
    const pos = this.node.pos;
    const text = this.tmpl.text.slice(0, pos);
    const nl = text.lastIndexOf('\n');
    const col = Buffer.byteLength(nl < 0 ? text : text.slice(nl + 1));
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    throw new TemplateExecError(`template: ${name}:${line}:${col}: executing ${goQuote(name)} at <${nodeString(this.node)}>: ${message}`);
  }

  run(list: ListNode, dot: unknown): string {
    this.walk(dot, list);
    return this.out;
  }

  private walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, v);
        return;
      }
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'if': case 'with':
        return this.walkIfOrWith(node, dot);
      case 'range':
        return this.walkRange(node, dot);
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'template': {
        const t = this.tmpl.defined.get(node.name);
        if (!t) this.errorf(`no such template ${goQuote(node.name)}`);
        const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
        if (++this.depth > 100_000) this.errorf('exceeded maximum template depth (100000)');
        const saved = this.vars;
        this.vars = [{ name: '$', value: newDot }];
        this.walk(newDot, t);
        this.vars = saved;
        this.depth--;
        return;
      }
    }
  }

  private walkIfOrWith(node: BranchNode, dot: unknown): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, node.pipe);
    if (isTrue(v)) this.walk(node.type === 'with' ? v : dot, node.list);
    else if (node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark;
  }

  private walkRange(node: BranchNode, dot: unknown): void {
    this.at(node);
    const mark0 = this.vars.length;
    const v = this.evalPipeline(dot, node.pipe);
    const mark = this.vars.length;
    const one = (index: unknown, elem: unknown): boolean => {
      if (node.pipe.decl.length > 0) {
        if (node.pipe.isAssign) {
          if (node.pipe.decl.length > 1) {
            this.setVar(node.pipe.decl[0]!.ident[0]!, index);
            this.setVar(node.pipe.decl[1]!.ident[0]!, elem);
          } else this.setVar(node.pipe.decl[0]!.ident[0]!, elem);
        } else {
          // Go: the last variable declared holds the element, the first (of two) the index
          this.vars[this.vars.length - 1]!.value = elem;
          if (node.pipe.decl.length > 1) this.vars[this.vars.length - 2]!.value = index;
        }
      }
      try {
        this.walk(elem, node.list);
      } catch (e) {
        if (e === BREAK) return false;
        if (e !== CONTINUE) throw e;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    let ran = false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        ran = true;
        if (!one(i, v[i])) break;
      }
    } else if (isPlainObject(v) || (v instanceof GoObject && v.options.isMap)) {
      const m = (v instanceof GoObject ? v.fields : v) as Record<string, unknown>;
      for (const k of sortedKeys(m)) {
        ran = true;
        if (!one(k, m[k])) break;
      }
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      if (node.pipe.decl.length > 1) this.errorf("can't use " + formatV(v) + ' to iterate over more than one variable');
      for (let i = 0; i < v; i++) {
        ran = true;
        if (!one(i, i)) break;
      }
    } else if (v !== undefined && v !== null) {
      this.errorf(`range can't iterate over ${formatV(v)}`);
    }
    if (!ran && node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark0;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  private printValue(node: AnyNode, v: unknown): void {
    this.at(node);
    if (v === undefined) this.out += '<no value>';
    else if (typeof v === 'function') this.errorf(`can't print ${nodeString(node)} of type func`);
    else this.out += formatV(v);
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field': return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final);
      case 'chain': {
        this.at(first);
        const pipe = this.evalArgValue(dot, first.node);
        return this.evalFieldChain(dot, pipe, first, first.field, cmd.args, final);
      }
      case 'identifier': return this.evalFunction(dot, first.ident, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': {
        this.at(first);
        const value = this.varValue(first.ident[0]!);
        if (first.ident.length === 1) {
          this.notAFunction(cmd.args, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first, first.ident.slice(1), cmd.args, final);
      }
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': this.errorf('nil is not a command');
      case 'number': return this.idealConstant(first);
      case 'string': return first.text;
    }
  }

  private idealConstant(n: NumberNode): unknown {
    this.at(n);
    if (n.isChar) return n.int;
    if (n.float !== undefined && /[.eEpP]/.test(n.text) && !/^[+-]?0[xX][0-9a-fA-F_]*$/.test(n.text)) return Number.isInteger(n.float) ? new GoFloat(n.float) : n.float;
    if (n.int !== undefined) return n.int;
    if (n.float !== undefined) return n.float;
    this.errorf(`${n.text} overflows int`);
  }

  /** An argument's value when evaluated for no declared type (a chain's head, a parenthesized pipeline). */
  private evalArgValue(dot: unknown, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot': return dot;
      case 'nil': this.errorf('nil is not a command');
      case 'field': return this.evalFieldChain(dot, dot, n, n.ident, [n], MISSING);
      case 'variable': {
        const value = this.varValue(n.ident[0]!);
        return n.ident.length === 1 ? value : this.evalFieldChain(dot, value, n, n.ident.slice(1), [], MISSING);
      }
      case 'pipe': return this.evalPipeline(dot, n);
      case 'identifier': return this.evalFunction(dot, n.ident, n, n, [n], MISSING);
      case 'chain': {
        const head = this.evalArgValue(dot, n.node);
        return this.evalFieldChain(dot, head, n, n.field, [], MISSING);
      }
      case 'bool': return n.value;
      case 'string': return n.text;
      case 'number': return this.idealConstant(n);
    }
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: AnyNode, ident: readonly string[], args: readonly ArgNode[], final: Final): unknown {
    this.at(node);
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i]!, node, [], MISSING, r);
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, r);
  }

  private evalField(dot: unknown, name: string, node: AnyNode, args: readonly ArgNode[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) {
      if (this.options.missingKeyError) this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver instanceof GoObject) {
      const method = receiver.options.methods?.[name];
      if (method) {
        const f: TemplateFunction = { params: method.params, call: method.fn };
        return this.evalCall(dot, f, false, node, name, args, final);
      }
      if (Object.hasOwn(receiver.fields, name)) {
        if (hasArgs && receiver.options.fieldsAreMethods) this.errorf(`wrong number of args for ${name}: want 0 got ${args.length - 1 + (final !== MISSING ? 1 : 0)}`);
        if (hasArgs) this.errorf(receiver.options.isMap ? `${name} is not a method but has arguments` : `${name} has arguments but cannot be invoked as function`);
        return receiver.fields[name];
      }
      if (receiver.options.isMap) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        return undefined;
      }
      this.errorf(`can't evaluate field ${name} in type ${receiver.typeName}`);
    }
    if (isPlainObject(receiver)) {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      if (Object.hasOwn(receiver, name)) return receiver[name];
      // a map of strings stands for Go's map[string]string, where Docker's typed inspect finds no value rather than an error
      if (this.options.missingKeyError && !isStringMap(receiver)) this.errorf(`map has no entry for key ${goQuote(name)}`);
      return undefined;
    }
    this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: unknown, name: string, node: AnyNode, cmd: AnyNode, args: readonly ArgNode[], final: Final): unknown {
    this.at(node);
    const f = this.funcs[name];
    if (!f) this.errorf(`${goQuote(name)} is not a defined function`);
    return this.evalCall(dot, f, true, cmd, name, args, final);
  }

  private evalCall(dot: unknown, f: TemplateFunction, isBuiltin: boolean, node: AnyNode, name: string, args: readonly ArgNode[], final: Final): unknown {
    const given = args.slice(1);
    const numIn = given.length + (final !== MISSING ? 1 : 0);
    const fixed = f.params.length;
    if (f.variadic) {
      if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${given.length}`);
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const a of given) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: unknown[] = [];
    given.forEach((a, i) => argv.push(this.evalArg(dot, i < fixed ? f.params[i]! : f.variadic!, a)));
    if (final !== MISSING) {
      const t = argv.length < fixed ? f.params[argv.length]! : f.variadic ?? f.params[fixed - 1]!;
      argv.push(this.validateType(final, t));
    }
    try {
      return f.call(...argv);
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(v: unknown, t: ParamType): unknown {
    if (v === undefined) {
      if (t === 'value') return undefined;
      if (t === 'any') return null;
      this.errorf(`invalid value; expected ${t}`);
    }
    if (t === 'string' && typeof v !== 'string') this.errorf(`wrong type for value; expected string; got ${goTypeName(v)}`);
    if (t === 'int' && !(typeof v === 'number' && Number.isInteger(v))) this.errorf(`wrong type for value; expected int; got ${goTypeName(v)}`);
    return v;
  }

  private evalArg(dot: unknown, t: ParamType, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot': return this.validateType(dot, t);
      case 'nil':
        if (t === 'any' || t === 'value') return null;
        this.errorf(`cannot assign nil to ${t}`);
      case 'field': return this.validateType(this.evalFieldChain(dot, dot, n, n.ident, [n], MISSING), t);
      case 'variable': {
        const value = this.varValue(n.ident[0]!);
        return this.validateType(n.ident.length === 1 ? value : this.evalFieldChain(dot, value, n, n.ident.slice(1), [], MISSING), t);
      }
      case 'pipe': return this.validateType(this.evalPipeline(dot, n), t);
      case 'identifier': return this.validateType(this.evalFunction(dot, n.ident, n, n, [n], MISSING), t);
      case 'chain': return this.validateType(this.evalArgValue(dot, n), t);
    }
    switch (t) {
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.int !== undefined) return n.int;
        this.errorf(`expected integer; found ${nodeString(n)}`);
      default:
        return this.evalArgValue(dot, n);
    }
  }
}

/** Runs TMPL on DOT with FUNCS; throws TemplateExecError with Go's message. */
export function executeTemplate(tmpl: ParsedTemplate, funcs: FunctionMap, dot: unknown, options: ExecOptions = {}): string {
  const state = new State(tmpl, funcs, options, dot);
  try {
    return state.run(tmpl.root, dot);
  } catch (e) {
    if (e instanceof TemplateExecError) e.partial = state.out;
    throw e;
  }
}
