/** `moby-dick restart [-t N] [-s SIGNAL] CONTAINER...`: stop (as `stop` does), then start. */
import { parseCommandLine } from '../args.js';
import { parseInteger } from '../container-flags.js';
import { type Command, help, needArgs, withEngine } from './engine-command.js';

const OPTIONS = { time: { type: 'string', short: 't' }, signal: { type: 'string', short: 's' }, help: { type: 'boolean' } } as const;

const HELP = `Usage: moby-dick restart [OPTIONS] CONTAINER [CONTAINER...]

Restart one or more containers

Options:
  -t, --time N      seconds to wait for the stop signal to end it before SIGKILL
                    (default the container's --stop-timeout, 10)
  -s, --signal SIG  the signal that stops it (default its stop signal)
`;

export const restart: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick restart --help');
  if (values.help) return help(HELP);
  needArgs('restart', operands, 1);
  const timeout = values.time === undefined ? undefined : parseInteger(values.time, '--time');
  const signal = values.signal === undefined ? undefined : (await import('./containers.js')).signalName(values.signal);
  await withEngine(async (e) => {
    for (const ref of operands) {
      await e.restart(ref, timeout, signal);
      process.stdout.write(`${ref}\n`);
    }
  });
  return 0;
};
