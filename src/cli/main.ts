/**
 * The moby-dick command line. The first word picks the form: a command of
 * registry.ts (`run`, `ps`), or else the original
 * `moby-dick [OPTIONS] COMMAND [ARG...]`. Each command parses and prints;
 * the work is in the library. Started by bin.ts (the bundle) or snapshot.ts
 * (the startup snapshot).
 */
import { help, isolate } from './commands/isolate.js';
import { findCommand } from './registry.js';
import { reportError } from './report-error.js';
import { takeDeferredCaCerts } from '../util/deferred-ca-certs.js';

declare const MOBY_DICK_VERSION: string;
const VERSION = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';

export async function main(argv: readonly string[]): Promise<number> {
  takeDeferredCaCerts();
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    process.stdout.write(`moby-dick version ${VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    process.stdout.write(help());
    return 0;
  }
  try {
    const entry = first === undefined ? undefined : findCommand(first);
    if (!entry) return await isolate(argv);
    const { command } = await entry.load();
    return await command.run(rest);
  } catch (e) {
    return reportError(e);
  }
}
