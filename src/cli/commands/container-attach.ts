/**
 * `moby-dick attach CONTAINER`: the container's output here, and our stdin
 * there when it was started with -i, through its monitor's attach socket.
 * The detach keys (ctrl-p,ctrl-q) leave it running, as Docker's: "read
 * escape sequence" and exit 1. Without a tty, signals we get go to the
 * container (--sig-proxy, on by default).
 */
import { attach as attachSocket } from '../../engine/attach.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

const DESCRIPTION = `Attach local standard input, output, and error streams to a running container

Options:
      --detach-keys KEYS    the key sequence that detaches (default "ctrl-p,ctrl-q")
      --no-stdin            do not attach stdin
      --sig-proxy=BOOL      proxy the signals we get to the container (default true; not with a tty)`;

const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export const command = defineCommand({
  name: 'attach',
  usage: 'attach [OPTIONS] CONTAINER',
  summary: 'Attach local standard input, output, and error streams to a running container',
  description: DESCRIPTION,
  options: {
    'detach-keys': { type: 'string' },
    'no-stdin': { type: 'boolean' },
    'sig-proxy': { type: 'string' },
  },
  // --sig-proxy=false is Go's boolean flag form; parseArgs reads it as a string (a bare --sig-proxy is true)
  rewriteArgv: (argv) => argv.map((a) => (a === '--sig-proxy' ? '--sig-proxy=true' : a)),
  args: { min: 1, max: 1 },
  run: (values, operands) => attach(values, operands),
});

async function attach(values: { 'detach-keys'?: string; 'no-stdin'?: boolean; 'sig-proxy'?: string }, operands: readonly string[]): Promise<number> {
  const sigProxy = values['sig-proxy'] === undefined || values['sig-proxy'] === 'true';
  return withEngine(async (engine) => {
    const v = engine.inspect(operands[0]!);
    if (v.state.Paused) throw new MobyDickError('USAGE', 'You cannot attach to a paused container, unpause it first', { container: operands[0] });
    if (!v.state.Running) throw new MobyDickError('USAGE', 'You cannot attach to a stopped container, start it first', { container: operands[0] });
    const tty = v.record.engine.tty;
    const withStdin = v.record.openStdin && values['no-stdin'] !== true;
    if (tty && withStdin && !process.stdin.isTTY) {
      throw new MobyDickError('USAGE', 'the input device is not a TTY', { hint: 'attach from a terminal, or give --no-stdin' });
    }
    const a = attachSocket(v.paths.attachSocket, {
      stdin: withStdin ? process.stdin : null,
      stdout: process.stdout,
      stderr: process.stderr,
      tty,
      detachKeys: values['detach-keys'] ?? undefined,
      // Docker's StdinOnce container (run -i): the end of our input, or our end, closes its stdin
      closeStdin: withStdin && v.record.stdinOnce === true,
      stdinOnce: withStdin && v.record.stdinOnce === true,
    });
    const proxy = (signal: NodeJS.Signals): void => {
      try {
        engine.runtime.kill(v.record.id, signal);
      } catch {
        /* it ended meanwhile */
      }
    };
    const proxying = sigProxy && !tty;
    if (proxying) for (const s of PROXIED) process.on(s, proxy);
    try {
      await a.connected;
      const end = await a.done;
      if (end.kind === 'detached') {
        process.stderr.write('read escape sequence\n');
        return 1;
      }
      if (end.kind === 'exited') return end.exit?.exitCode ?? 255;
      // the monitor let go of us without the exit record: the container may have ended as we read
      const after = engine.inspect(v.record.id);
      return after.state.Running ? 1 : after.state.ExitCode;
    } finally {
      if (proxying) for (const s of PROXIED) process.off(s, proxy);
    }
  });
}
