/**
 * The moby-dick command line. The first word picks the form: a subcommand
 * (`run`), or else the original `moby-dick [OPTIONS] COMMAND [ARG...]`.
 * Each command parses and prints; the work is in the library. Started by
 * bin.ts (the bundle) or snapshot.ts (the startup snapshot).
 */
import { IMAGE_COMMAND_NAMES } from './command-names.js';
import { HELP, isolate } from './commands/isolate.js';
import { run } from './commands/run.js';
import { reportError } from './report-error.js';
import { takeDeferredCaCerts } from '../runtime/deferred-ca-certs.js';

declare const MOBY_DICK_VERSION: string;
const VERSION = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = { run };

async function imageCommand(name: string, argv: readonly string[]): Promise<number> {
  const { IMAGE_COMMANDS } = await import('./images-cli.js');
  return IMAGE_COMMANDS[name]!(argv);
}

export async function main(argv: readonly string[]): Promise<number> {
  takeDeferredCaCerts();
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    process.stdout.write(`moby-dick version ${VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    if (first !== undefined && IMAGE_COMMAND_NAMES.has(first)) return await imageCommand(first, rest);
    const sub = first === undefined ? undefined : SUBCOMMANDS[first];
    return await (sub ? sub(rest) : isolate(argv));
  } catch (e) {
    return reportError(e);
  }
}
