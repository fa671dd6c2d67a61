/** `moby-dick network rm`: removes networks */
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'network rm',
  usage: 'network rm NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  description: `Remove one or more networks

Options:
  -f, --force           no error for a network that does not exist`,
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      for (const ref of operands) {
        if (ref === 'host' || ref === 'none') throw new MobyDickError('USAGE', `${ref} is a pre-defined network and cannot be removed`, { subject: ref });
        if (values.force && !e.networks.list().some((n) => n.name === ref || n.id.startsWith(ref))) continue;
        e.networks.remove(ref);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});
