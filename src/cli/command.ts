/**
 * A command of the CLI as data: its name, usage, summary, options, how many
 * operands it takes, and what it runs. defineCommand() makes the command of
 * it: the options parsed (args.ts, Docker's way: anywhere, or up to the
 * first operand where the operands end with a command), --help and -h
 * answered from the definition, the operands counted, with Docker's words
 * for too few or too many, and Docker's exit codes: 125 for a flag that
 * does not parse, 1 for the rest, except run's and create's own errors
 * (125, 126, 127). defineGroup() does the same for `moby-dick GROUP SUB ...`
 * (image, container, network, volume). The commands are listed in
 * registry.ts.
 */
import { MobyDickError } from '../errors.js';
import { type OptionSpecs, type ParsedValues, parseCommandLine } from './args.js';
import { suggestCommand } from './first-word.js';

/** How many operands a command takes: at least MIN, at most MAX (no limit without). */
export interface Operands {
  min: number;
  max?: number;
}

export interface CommandSpec<S extends OptionSpecs> {
  /** the words after `moby-dick`: "ps", "image inspect" */
  name: string;
  /** the usage line(s), without "moby-dick ": "ps [OPTIONS]" */
  usage: string | readonly string[];
  /** one line, as the lists of commands show it */
  summary: string;
  /** what --help prints under the usage (default: the summary); "Options:" and notes included */
  description?: string;
  /** shell lines that show the command at work, for its man page (cli/man-pages.ts) */
  examples?: string;
  /** the options, --help and -h aside (they are added) */
  options: S;
  args: Operands;
  /**
   * the operands end with a command line of its own (run, create, exec,
   * top's ps options): flags are read only before the first operand, as
   * Docker's (SetInterspersed(false)); elsewhere they may come anywhere
   */
  trailingCommand?: boolean;
  /** Docker's run and create: an error of the command exits 125 (126, 127 where the container's command cannot run); every other command's exits 1 */
  runExitCodes?: boolean;
  /** the command line as the parser should read it (attach's Go-style --sig-proxy=false) */
  rewriteArgv?: (argv: readonly string[]) => string[];
  run(values: ParsedValues<S>, operands: string[]): Promise<number> | number;
}

/** A command, ready to run: what registry.ts's loaders give and groups hold. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** what --help prints */
  readonly help: string;
  /** its man page's EXAMPLES */
  readonly examples?: string;
  run(argv: readonly string[]): Promise<number>;
  /** a command's options, --help included (what shell completion offers) */
  readonly options?: OptionSpecs;
  /** its options may come after operands too (all but run, create, exec, top: CommandSpec's trailingCommand) */
  readonly interspersed?: boolean;
  /** a group's sub-commands, by the word that runs them */
  readonly commands?: Readonly<Record<string, Command>>;
  /** a group's other words for some sub-commands: { list: 'ls' } */
  readonly aliases?: Readonly<Record<string, string>>;
}

/** The module of a command file: one command, exported as `command`. */
export interface CommandModule {
  command: Command;
}

export function usage(message: string, command: string): MobyDickError {
  return new MobyDickError('USAGE', message, { hint: `see 'moby-dick ${command} --help'` });
}

/** A command line that names no command, or too few or too many operands: exit 1 for every command, as Docker's. */
export function commandLineError(message: string, command: string): MobyDickError {
  return new MobyDickError('USAGE', message, { hint: `see 'moby-dick ${command} --help'` }, 1);
}

/**
 * E as a command other than run and create ends with it: Docker exits 1
 * there for everything but a flag that does not parse (125) and a command's
 * own status (126, 127 of exec).
 */
export function outsideRun(e: unknown): unknown {
  if (!(e instanceof MobyDickError) || e.exitCode !== 125 || e.code === 'FLAG') return e;
  const converted = new MobyDickError(e.code, e.message, e.details, 1);
  if (e.stack !== undefined) converted.stack = e.stack;
  return converted;
}

const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;

/** Docker's words (docker/cli cli/required.go) when the operands do not fit ARGS; undefined when they do. */
export function operandError(count: number, args: Operands): string | undefined {
  const { min, max } = args;
  if (count >= min && (max === undefined || count <= max)) return undefined;
  if (max === 0) return 'accepts no arguments';
  if (max === min) return `requires exactly ${plural(min)}`;
  if (max === undefined) return `requires at least ${plural(min)}`;
  if (min === 0) return `requires at most ${plural(max)}`;
  return `requires at least ${min} and at most ${plural(max)}`;
}

function helpText(spec: { name: string; usage: string | readonly string[]; summary: string; description?: string }): string {
  const lines = typeof spec.usage === 'string' ? [spec.usage] : spec.usage;
  const head = lines.map((l, i) => `${i === 0 ? 'Usage: ' : '       '}moby-dick ${l}`).join('\n');
  return `${head}\n\n${spec.description ?? spec.summary}\n`;
}

function printHelp(text: string): number {
  process.stdout.write(text);
  return 0;
}

export function defineCommand<S extends OptionSpecs>(spec: CommandSpec<S>): Command {
  // -h is --help unless another option of the command has it
  const hasShortH = Object.entries(spec.options).some(([k, o]) => k !== 'help' && o.short === 'h');
  const options = { ...spec.options, help: hasShortH ? { type: 'boolean' as const } : { type: 'boolean' as const, short: 'h' } };
  const help = helpText(spec);
  const hint = `moby-dick ${spec.name} --help`;
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    ...(spec.examples !== undefined ? { examples: spec.examples } : {}),
    options,
    interspersed: !spec.trailingCommand,
    async run(argv) {
      const placement = spec.trailingCommand ? 'leading' : 'interspersed';
      const { values, operands } = parseCommandLine(spec.rewriteArgv ? spec.rewriteArgv(argv) : argv, options, hint, placement);
      if (values.help) return printHelp(help);
      const wrong = operandError(operands.length, spec.args);
      if (wrong !== undefined) throw commandLineError(`"moby-dick ${spec.name}" ${wrong}`, spec.name);
      try {
        return await spec.run(values as ParsedValues<S>, operands);
      } catch (e) {
        throw spec.runExitCodes ? e : outsideRun(e);
      }
    },
  };
}

export interface GroupSpec {
  /** "image" */
  name: string;
  summary: string;
  /** the sub-commands by the word that runs them; listed in --help in the order of the words */
  commands: Readonly<Record<string, Command>>;
  /** more words for some of them, not listed: { list: 'ls' } */
  aliases?: Readonly<Record<string, string>>;
}

/** `moby-dick NAME SUB ...`: runs SUB; the list of sub-commands without one (or for --help, -h, help); Docker's words for an unknown one. */
export function defineGroup(spec: GroupSpec): Command {
  const words = Object.keys(spec.commands).sort();
  const listed = words.map((w) => `  ${w.padEnd(10)}  ${spec.commands[w]!.summary}\n`).join('');
  const help = `Usage: moby-dick ${spec.name} COMMAND\n\n${spec.summary}\n\nCommands:\n${listed}`;
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    commands: spec.commands,
    ...(spec.aliases ? { aliases: spec.aliases } : {}),
    async run(argv) {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return printHelp(help);
      const word = spec.aliases?.[sub] ?? sub;
      const cmd = Object.hasOwn(spec.commands, word) ? spec.commands[word] : undefined;
      if (!cmd) {
        const near = suggestCommand(sub, words);
        throw commandLineError(`unknown command "${sub}" for "moby-dick ${spec.name}"${near ? `: did you mean ${near}?` : ''}`, spec.name);
      }
      return cmd.run(rest);
    },
  };
}

/** Docker's prune prompt: yes only for "y" or "yes". */
export async function confirm(question: string): Promise<boolean> {
  // loaded here: the CLI's startup snapshot cannot hold node:readline (cli/snapshot.ts)
  const rl = process.getBuiltinModule('node:readline/promises').createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}
