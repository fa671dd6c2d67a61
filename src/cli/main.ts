/**
 * The moby-dick command line. The first word picks the form: a command of
 * registry.ts (`run`, `ps`), a Docker command moby-dick lacks or a typo of
 * one it has (refused, first-word.ts), or else the original
 * `moby-dick [OPTIONS] COMMAND [ARG...]`. Each command parses and prints;
 * the work is in the library. Started by bin.ts (the bundle) or snapshot.ts
 * (the startup snapshot).
 */
import { MobyDickError } from '../errors.js';
import type { Command } from './command.js';
import { help, isolate } from './commands/isolate.js';
import { classifyFirstWord, programOnPath } from './first-word.js';
import { COMMANDS, findCommand } from './registry.js';
import { reportError } from './report-error.js';
import { quietOnBrokenPipe } from './broken-pipe.js';
import { takeDeferredCaCerts } from '../util/deferred-ca-certs.js';

declare const MOBY_DICK_VERSION: string;
const VERSION = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';

/** A mistake of the command line itself: one line, exit 1, as Docker's. */
function commandLineError(message: string, hint = "see 'moby-dick --help'"): MobyDickError {
  return new MobyDickError('USAGE', message, { hint }, 1);
}

/** `moby-dick help [COMMAND [SUB]]`: the general help, or a command's (a group's sub-command's) own. */
async function helpTopic(words: readonly string[]): Promise<string> {
  if (words.length === 0) return help();
  const entry = findCommand(words[0]!);
  if (!entry) throw commandLineError(`unknown help topic: ${words.join(' ')}`);
  let command: Command = (await entry.load()).command;
  for (const word of words.slice(1)) {
    const sub = command.commands && Object.hasOwn(command.commands, word) ? command.commands[word] : undefined;
    if (!sub) throw commandLineError(`unknown help topic: ${words.join(' ')}`);
    command = sub;
  }
  return command.help;
}

export async function main(argv: readonly string[]): Promise<number> {
  takeDeferredCaCerts();
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    process.stdout.write(`moby-dick version ${VERSION}\n`);
    return 0;
  }
  try {
    if (first === 'help') {
      process.stdout.write(await helpTopic(rest));
      return 0;
    }
    const entry = first === undefined ? undefined : findCommand(first);
    if (!entry) {
      const word = first === undefined ? undefined : classifyFirstWord(first, COMMANDS, (p) => programOnPath(p));
      if (word?.kind === 'docker') {
        throw commandLineError(`'${word.word}' is a Docker command moby-dick does not have`);
      }
      if (word?.kind === 'typo') throw commandLineError(`'${word.word}' is not a moby-dick command: did you mean ${word.suggestion}?`);
      return await isolate(argv);
    }
    // the jail (`run --rootfs`) passes our descriptors on, as the original form does
    if (entry.name !== 'run' || !rest.includes('--rootfs')) quietOnBrokenPipe();
    const { command } = await entry.load();
    return await command.run(rest);
  } catch (e) {
    return reportError(e);
  }
}
