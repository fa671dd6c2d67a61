/** `moby-dick wait CONTAINER...`: blocks until each has stopped, and prints its exit code. */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'wait',
  usage: 'wait CONTAINER [CONTAINER...]',
  summary: 'Block until one or more containers stop, then print their exit codes',
  options: {},
  args: { min: 1 },
  async run(_values, operands) {
    await withEngine(async (e) => {
      for (const ref of operands) process.stdout.write(`${await e.wait(ref)}\n`);
    });
    return 0;
  },
});
