/** `moby-dick network connect`: a running or stopped container joins a network */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'network connect',
  usage: 'network connect [--alias NAME] NETWORK CONTAINER',
  summary: 'Connect a container to a network',
  description: `Connect a container to a network

Options:
      --alias NAME      another name of the container on this network (repeatable)`,
  options: { alias: { type: 'string', multiple: true } },
  args: { min: 2, max: 2 },
  async run(values, operands) {
    await withEngine((e) => e.connect(operands[1]!, operands[0]!, values.alias ?? []));
    return 0;
  },
});
