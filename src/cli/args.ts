/**
 * Command-line parsing with node:util's parseArgs. Not commander: bundled,
 * commander alone added about 3 ms to every start (compiling 100 KB), and
 * parseArgs is already in Node. Two ways, as Docker's CLI: flags anywhere
 * among the operands (`logs web -f`, `rm web -f`), or, for a command line
 * whose operands end with a command of their own (`run IMAGE CMD...`,
 * `exec`, `top`, the original form), flags only up to the first operand,
 * so `moby-dick ls -la` passes -la to ls. `--` ends the flags either way.
 */
import { parseArgs } from 'node:util';
import { MobyDickError } from '../errors.js';

/** VALUES: a boolean flag that also takes one of these as --flag=VALUE (`--explain`, `--explain=json`) */
type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean; values?: readonly string[] };
export type OptionSpecs = Record<string, OptionSpec>;

export type ParsedValues<S extends OptionSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'string'
    ? S[K]['multiple'] extends true
      ? string[]
      : string
    : S[K] extends { values: readonly (infer V)[] }
      ? boolean | V
      : boolean;
};

export interface Parsed<S extends OptionSpecs> {
  values: ParsedValues<S>;
  /** the command and its arguments: everything from the first operand on */
  operands: string[];
}

/** Where flags may be: 'interspersed' among the operands, or only 'leading' (before the first operand, which starts a command line). */
export type FlagPlacement = 'interspersed' | 'leading';

type Token = ReturnType<typeof parseArgs>['tokens'] extends (infer T)[] | undefined ? T : never;

/** A flag error, in Docker's words: exit 125 for every command, as Docker's. */
function flagError(message: string, help: string): MobyDickError {
  return new MobyDickError('FLAG', message, { hint: `see '${help}'` });
}

/**
 * ARGV's flags and operands. parseArgs reads the tokens (non-strict, so a
 * value that starts with a dash is a value, as Go's pflag takes `-t -1`);
 * the checks strict mode would make are made here, in Docker's words.
 */
export function parseCommandLine<S extends OptionSpecs>(argv: readonly string[], options: S, help: string, placement: FlagPlacement = 'leading'): Parsed<S> {
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  let flags: Token[];
  let operands: string[];
  if (placement === 'interspersed') {
    flags = tokens.filter((t) => t.kind === 'option');
    operands = tokens.flatMap((t) => (t.kind === 'positional' ? [t.value] : []));
  } else {
    const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
    const end = first === undefined ? argv.length : first.index;
    flags = tokens.filter((t) => t.kind === 'option' && t.index < end);
    operands = argv.slice(first?.kind === 'option-terminator' ? end + 1 : end);
  }
  const values: Record<string, string | boolean | string[]> = {};
  for (const t of flags) {
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (spec === undefined) {
      throw flagError(t.rawName.startsWith('--') ? `unknown flag: ${t.rawName}` : `unknown shorthand flag: '${t.rawName.slice(1)}' in ${t.rawName}`, help);
    }
    const shown = spec.short ? `-${spec.short}, --${t.name}` : `--${t.name}`;
    if (spec.type === 'string') {
      if (t.value === undefined) throw flagError(`flag needs an argument: ${t.rawName.startsWith('--') ? t.rawName : `'${t.rawName.slice(1)}' in ${t.rawName}`}`, help);
      if (spec.multiple) ((values[t.name] ??= []) as string[]).push(t.value);
      else values[t.name] = t.value;
    } else if (t.value === undefined || /^(true|1)$/i.test(t.value)) {
      values[t.name] = true;
    } else if (/^(false|0)$/i.test(t.value)) {
      values[t.name] = false;
    } else if (spec.values?.includes(t.value)) {
      values[t.name] = t.value;
    } else if (spec.values) {
      throw flagValueError(t.value, shown, `give ${spec.values.join(' or ')}, or no value`, help);
    } else {
      throw flagValueError(t.value, shown, 'give true or false', help);
    }
  }
  return { values: values as ParsedValues<S>, operands };
}

/** A flag's value that does not parse: Docker's words, exit 125 (FLAG, as `stop -t abc`). */
export function flagValueError(value: string, flag: string, why: string, help?: string): MobyDickError {
  return new MobyDickError('FLAG', `invalid argument "${value}" for "${flag}" flag: ${why}`, help === undefined ? {} : { hint: `see '${help}'` });
}

/**
 * A negative number after an option that takes a value is that value
 * (`--pids-limit -1`, `--memory-swap -1`), as Go's flag parsers read it
 * (node's parseArgs takes it for an option): given as --name=value.
 */
export function joinNegativeValues(argv: readonly string[], options: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const long = /^--([\w-]+)$/.exec(a)?.[1];
    const name = long ?? Object.entries(options).find(([, o]) => o.short !== undefined && a === `-${o.short}`)?.[0];
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
