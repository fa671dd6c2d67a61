/**
 * The moby-dick command line. The first word picks the form: a subcommand
 * (`run`), or else the original `moby-dick [OPTIONS] COMMAND [ARG...]`.
 */
import { Command, CommanderError } from 'commander';
import { MobyDickError } from '../errors.js';
import { reportError } from './report-error.js';
import { isolateCommand, runIsolate } from './commands/isolate.js';
import { runCommand, runRun, type RunCommandFlags } from './commands/run.js';
import type { RunFlags } from './run-options.js';

declare const MOBY_DICK_VERSION: string;
const VERSION = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';

const HELP = `Usage: moby-dick [OPTIONS] COMMAND [ARG...]
       moby-dick run [OPTIONS] --rootfs DIR COMMAND [ARG...]

A container engine for Node.js.

The first form runs COMMAND isolated — its own network (only lo), mounts
(a tmpfs on /mytmp), hostname, IPC and PID namespace — on the host's files.
The second runs it in a container whose root filesystem is DIR.

Commands:
  run        run a command in a new container (see 'moby-dick run --help')

Options (both forms):
  -e, --env KEY=VALUE     set an environment variable (repeatable)
      --env-file FILE     read environment variables from a file
  -w, --workdir DIR       working directory inside the container
  -u, --user UID[:GID]    run as this user and group
      --hostname NAME     container hostname (default "containerhostname")
  -t, --tty               allocate a pseudo-terminal (the first form does when
                          stdin and stdout are terminals)
  -i, --interactive       keep stdin open (the first form always does)
      --init              run a minimal init as pid 1
      --debug             print each isolation step and its duration
  -h, --help              show this help
  -v, --version           print the version
`;

type Form = { cmd: Command; run: (args: string[], flags: never) => Promise<number> };

function parseWith(form: Form, argv: readonly string[]): Promise<number> {
  const { cmd } = form;
  cmd
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) })
    .helpOption('-h, --help', 'show this help');
  if (cmd.name() === 'moby-dick') cmd.helpInformation = () => HELP;
  cmd.parse(argv as string[], { from: 'user' });
  return form.run(cmd.args, cmd.opts() as never);
}

function usageError(e: CommanderError, sub: string): MobyDickError {
  const message = e.message.replace(/^error: /, '');
  return new MobyDickError('USAGE', message, { hint: `see 'moby-dick ${sub}--help'` });
}

export async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    process.stderr.write(HELP);
    return 125;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`moby-dick version ${VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const isRun = first === 'run';
  try {
    if (isRun) {
      return await parseWith(
        { cmd: runCommand(), run: (args: string[], flags: RunCommandFlags) => runRun(args, flags) } as Form,
        argv.slice(1),
      );
    }
    return await parseWith(
      { cmd: isolateCommand(), run: (args: string[], flags: RunFlags) => runIsolate(args, flags) } as Form,
      argv,
    );
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return 0;
      return reportError(usageError(e, isRun ? 'run ' : ''));
    }
    return reportError(e);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = reportError(e);
  },
);
