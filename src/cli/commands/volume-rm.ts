/** `moby-dick volume rm`: removes volumes no container uses */
import { defineCommand } from '../command.js';
import { withVolumes } from '../volume-context.js';

export const command = defineCommand({
  name: 'volume rm',
  usage: 'volume rm [-f] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes',
  description: `Remove one or more volumes. You cannot remove a volume that is in use by a container.

Options:
  -f, --force           no error for a volume that does not exist`,
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    await withVolumes((vs, containers) => {
      for (const n of operands) {
        vs.remove(n, containers, values.force === true);
        process.stdout.write(`${n}\n`);
      }
    });
    return 0;
  },
});
