/** `moby-dick restart [-t N] [-s SIGNAL] CONTAINER...`: stop (as `stop` does), then start. */
import { defineCommand } from '../command.js';
import { parseInteger, signalName } from '../container-flags.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'restart',
  usage: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Restart one or more containers',
  description: `Restart one or more containers

Options:
  -t, --time N      seconds to wait for the stop signal to end it before SIGKILL
                    (default the container's --stop-timeout, 10)
  -s, --signal SIG  the signal that stops it (default its stop signal)`,
  options: { time: { type: 'string', short: 't' }, signal: { type: 'string', short: 's' } },
  args: { min: 1 },
  async run(values, operands) {
    const timeout = values.time === undefined ? undefined : parseInteger(values.time, '--time');
    const signal = values.signal === undefined ? undefined : signalName(values.signal);
    await withEngine(async (e) => {
      for (const ref of operands) {
        await e.restart(ref, timeout, signal);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});
