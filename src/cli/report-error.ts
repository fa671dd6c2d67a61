/** The one place that turns errors into a message on stderr and an exit code. */
import { MobyDickError } from '../errors.js';

export function formatError(e: MobyDickError): string {
  return `moby-dick: ${e.message}${e.details.hint ? ` (${e.details.hint})` : ''}`;
}

export function reportError(e: unknown): number {
  if (e instanceof MobyDickError) {
    process.stderr.write(formatError(e) + '\n');
    return e.exitCode;
  }
  // not a user mistake: a bug; keep the stack for the report
  process.stderr.write(`moby-dick: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 125;
}
