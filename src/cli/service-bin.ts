/**
 * The API service's own entry (build/moby-dick-service.cjs): what
 * `moby-dick system service ...` runs, required by start.ts in place of the
 * CLI's bundles. A long-lived process pays for every module it evaluates
 * for as long as it runs; the CLI's bundles evaluate every command (the
 * images bundle alone held about 19 MiB of the service's 61), and the code
 * cache compiled all of the small one. Here only the service's own modules
 * are evaluated, compiled lazily (no code cache: what it holds compiled
 * stays in memory for as long as the service runs).
 */
import { command } from './commands/system-service.js';
import { quietOnBrokenPipe } from './broken-pipe.js';
import { reportError } from './report-error.js';
import { takeDeferredCaCerts } from '../util/deferred-ca-certs.js';

/** ARGV: the words after `system service` (main.ts's order: the CA certs taken back, quiet on a broken pipe, errors reported) */
export async function serviceMain(argv: readonly string[]): Promise<number> {
  takeDeferredCaCerts();
  quietOnBrokenPipe();
  try {
    return await command.run(argv);
  } catch (e) {
    return reportError(e);
  }
}
