/**
 * `moby-dick ps | head`, `moby-dick logs -f web | head`: when the reader of
 * our output goes away, end quietly, as Docker's CLI (which SIGPIPE ends:
 * status 141, as a shell shows it), not with an EPIPE stack trace. Node
 * ignores SIGPIPE, so a write to the closed pipe is an 'error' event of
 * the stream, thrown when nothing listens.
 *
 * Installed by the commands (main.ts), not by the original form, which
 * never opens our stdout: its program inherits the descriptors.
 */

/** 128 + SIGPIPE */
export const BROKEN_PIPE_STATUS = 141;

export function quietOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(BROKEN_PIPE_STATUS);
      throw e;
    });
  }
}
