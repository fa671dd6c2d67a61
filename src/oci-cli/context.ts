/** What every runtime command gets: the state store, the runtime, the logger, and argument helpers. */
import { parseArgs } from 'node:util';
import type { ParsedValues } from '../cli/args.js';
import { MobyDickError } from '../errors.js';
import type { StepTiming } from '../helper/container.js';
import { OciRuntime } from '../oci/lifecycle.js';
import type { HelperLauncher } from '../helper/helper-launch.js';
import type { ExplainFormat } from '../explain/render.js';
import type { Logger } from './log.js';

export interface Context {
  runtime: OciRuntime;
  log: Logger;
  debug: boolean;
}

/** Where a command's stderr goes and where its helper starts: the compile service's caller's (compile-service.ts). */
export interface RuntimeIo {
  stderr?: (text: string) => void;
  launcher?: HelperLauncher;
}

export type Command = (ctx: Context, argv: readonly string[]) => Promise<number> | number;

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Strict parsing with runc's flags; usage errors in runc's words. */
export function parseFlags<S extends Spec>(
  command: string,
  argv: readonly string[],
  options: S,
  positionals: { min: number; max?: number; names: string },
): { values: ParsedValues<S>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new MobyDickError('USAGE', `${command}: ${(e as Error).message}`, { hint: `see 'moby-dick-runtime ${command} --help'` });
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || (positionals.max !== undefined && n > positionals.max)) {
    throw new MobyDickError('USAGE', `"${command}" requires ${positionals.names}`, { hint: `see 'moby-dick-runtime ${command} --help'` });
  }
  return { values: parsed.values as ParsedValues<S>, positionals: parsed.positionals };
}

export function stepLogger(ctx: Context): ((s: StepTiming) => void) | undefined {
  return ctx.debug ? (s) => ctx.log.debug(`${s.source} ${s.name} ${s.detail} ${s.milliseconds.toFixed(3)} ms`) : undefined;
}

/**
 * --explain and --explain=json|text taken out of ARGV before runc's strict
 * parsing (which has no flag with an optional value): the rest of ARGV and
 * the format asked for, if any.
 */
export function takeExplainFlag(argv: readonly string[]): { argv: string[]; format?: ExplainFormat } {
  let format: ExplainFormat | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--explain(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    if (m[1] !== undefined && m[1] !== 'json' && m[1] !== 'text' && m[1] !== 'full') {
      throw new MobyDickError('USAGE', `invalid argument "${m[1]}" for "--explain" flag: give full, json or text, or no value`);
    }
    format = m[1] === 'json' || m[1] === 'full' ? m[1] : 'text';
  }
  return format ? { argv: rest, format } : { argv: rest };
}
