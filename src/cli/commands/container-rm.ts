/** `moby-dick rm [-f] [-v] CONTAINER...`: removed (-f: killed first; -v: its anonymous volumes too). */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'rm',
  usage: 'rm [-f] [-v] CONTAINER...',
  summary: 'Remove one or more containers',
  options: { force: { type: 'boolean', short: 'f' }, volumes: { type: 'boolean', short: 'v' } },
  args: { min: 1 },
  async run(values, operands) {
    await withEngine((e) => {
      for (const ref of operands) {
        e.remove(ref, values.force === true, values.volumes === true);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});
