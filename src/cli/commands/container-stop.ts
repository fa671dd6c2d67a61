/** `moby-dick stop [-t SECONDS] [-s SIGNAL] CONTAINER...`: its stop signal, then SIGKILL after the timeout. */
import { defineCommand } from '../command.js';
import { parseInteger, signalName } from '../container-flags.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'stop',
  usage: 'stop [-t SECONDS] [-s SIGNAL] CONTAINER...',
  summary: 'Stop one or more running containers',
  description: `Stop one or more running containers (SIGNAL, default its stop signal, then SIGKILL after SECONDS)

Options:
  -s, --signal SIGNAL   the signal to send (default the container's stop signal, or SIGTERM)
  -t, --time SECONDS    seconds to wait before SIGKILL (default the container's stop timeout, or 10)`,
  options: { time: { type: 'string', short: 't' }, signal: { type: 'string', short: 's' } },
  args: { min: 1 },
  async run(values, operands) {
    const timeout = values.time === undefined ? undefined : parseInteger(values.time, '-t, --timeout');
    const signal = values.signal === undefined ? undefined : signalName(values.signal);
    await withEngine(async (e) => {
      for (const ref of operands) {
        await e.stop(ref, timeout, signal);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});
