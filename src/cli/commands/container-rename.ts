/** `moby-dick rename CONTAINER NEW_NAME`: names stay unique (the database decides a race). */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'rename',
  usage: 'rename CONTAINER NEW_NAME',
  summary: 'Rename a container',
  options: {},
  args: { min: 2, max: 2 },
  async run(_values, operands) {
    await withEngine((e) => e.rename(operands[0]!, operands[1]!));
    return 0;
  },
});
