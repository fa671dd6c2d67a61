/**
 * Command-line parsing with node:util's parseArgs. Not commander: bundled,
 * commander alone added about 3 ms to every start (compiling 100 KB), and
 * parseArgs is already in Node. Options are read up to the first operand,
 * as `docker run` does, so `moby-dick ls -la` passes -la to ls.
 */
import { parseArgs } from 'node:util';
import { MobyDickError } from '../errors.js';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };
export type OptionSpecs = Record<string, OptionSpec>;

export type ParsedValues<S extends OptionSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'string' ? (S[K]['multiple'] extends true ? string[] : string) : boolean;
};

export interface Parsed<S extends OptionSpecs> {
  values: ParsedValues<S>;
  /** the command and its arguments: everything from the first operand on */
  operands: string[];
}

/** Turns parseArgs' messages into Docker's words. */
function usageError(e: unknown, help: string): MobyDickError {
  const err = e as { code?: string; message?: string };
  let message = err.message ?? String(e);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) message = `unknown flag: ${unknown[1]}`;
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) message = `flag needs an argument: ${missing[1]}`;
  return new MobyDickError('USAGE', message, { hint: `see '${help}'` });
}

export function parseCommandLine<S extends OptionSpecs>(argv: readonly string[], options: S, help: string): Parsed<S> {
  try {
    // find where the operands start, knowing which options take a value
    const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
    const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
    const end = first === undefined ? argv.length : first.index;
    const operandStart = first?.kind === 'option-terminator' ? end + 1 : end;
    const { values } = parseArgs({ args: argv.slice(0, end), options, strict: true, allowPositionals: false });
    return { values: values as ParsedValues<S>, operands: argv.slice(operandStart) };
  } catch (e) {
    throw usageError(e, help);
  }
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
