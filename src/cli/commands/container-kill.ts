/** `moby-dick kill [-s SIGNAL] CONTAINER...`: SIGKILL, or SIGNAL, to each container's init process. */
import { defineCommand } from '../command.js';
import { signalName } from '../container-flags.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'kill',
  usage: 'kill [-s SIGNAL] CONTAINER...',
  summary: 'Kill one or more running containers',
  description: `Kill one or more running containers

Options:
  -s, --signal SIGNAL   the signal to send (default SIGKILL): a name (KILL, SIGHUP) or number`,
  options: { signal: { type: 'string', short: 's' } },
  args: { min: 1 },
  async run(values, operands) {
    const signal = signalName(values.signal ?? 'SIGKILL');
    await withEngine((e) => {
      for (const ref of operands) {
        e.kill(ref, signal);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});
