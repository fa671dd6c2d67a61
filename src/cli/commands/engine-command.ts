/**
 * What the engine's commands in files of their own share: the Command type,
 * printing help, Docker's usage errors, prompts, and the engine on the
 * store (withEngine, from containers.ts).
 */
import type { Engine } from '../../engine/engine.js';
import { MobyDickError } from '../../errors.js';

/**
 * containers.ts's withEngine. Loaded when called: containers.ts lists the
 * commands of these files in CONTAINER_COMMANDS, and a static import back
 * would make a cycle that breaks whichever module is loaded first.
 */
export async function withEngine<T>(fn: (engine: Engine) => Promise<T> | T, pulls = false): Promise<T> {
  const { withEngine: run } = await import('./containers.js');
  return run(fn, pulls);
}

export type Command = (argv: readonly string[]) => Promise<number>;

export function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

/** `moby-dick NAME SUB ...`: runs TABLE[SUB]; HELP_TEXT without one (or for --help/help); Docker's words for an unknown one. */
export function commandGroup(name: string, helpText: string, table: Readonly<Record<string, Command>>): Command {
  return async (argv) => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === 'help') return help(helpText);
    const cmd = table[sub];
    if (!cmd) throw usage(`unknown command "${sub}" for "moby-dick ${name}"`, name);
    return cmd(rest);
  };
}

export function usage(message: string, command: string): MobyDickError {
  return new MobyDickError('USAGE', message, { hint: `see 'moby-dick ${command} --help'` });
}

/** "requires exactly N argument(s)" / "at least", as Docker words it. */
export function needArgs(command: string, operands: readonly string[], n: number, exactly = false): void {
  if (exactly ? operands.length === n : operands.length >= n) return;
  throw usage(`"moby-dick ${command}" requires ${exactly ? 'exactly' : 'at least'} ${n} argument${n === 1 ? '' : 's'}`, command);
}

/** Docker's prune prompt: yes only for "y" or "yes". */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}
