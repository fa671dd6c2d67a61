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

function quiet(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(BROKEN_PIPE_STATUS);
    throw e;
  });
}

/**
 * stdout at once (every command prints there); stderr when it is first
 * used: Node makes process.stderr at its first use, and a pipe's loads
 * node:net (about 1.7 ms, which a `ps` that writes nothing there would pay),
 * so process.stderr's getter is wrapped to quiet it as it is made.
 */
export function quietOnBrokenPipe(): void {
  quiet(process.stdout);
  const own = Object.getOwnPropertyDescriptor(process, 'stderr');
  const get = own?.get;
  if (!own || !get || !own.configurable) {
    quiet(process.stderr);
    return;
  }
  let quieted = false;
  Object.defineProperty(process, 'stderr', {
    ...own,
    get() {
      const stream = get.call(process) as NodeJS.WriteStream;
      if (!quieted) {
        quieted = true;
        quiet(stream);
      }
      return stream;
    },
  });
}
