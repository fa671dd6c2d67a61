/** `moby-dick network disconnect`: a container leaves a network */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'network disconnect',
  usage: 'network disconnect NETWORK CONTAINER',
  summary: 'Disconnect a container from a network',
  description: `Disconnect a container from a network

Options:
  -f, --force           accepted, as Docker's (it changes nothing here)`,
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 2, max: 2 },
  async run(_values, operands) {
    await withEngine((e) => e.disconnect(operands[1]!, operands[0]!));
    return 0;
  },
});
