/** `moby-dick network rm`: removes networks */
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'network rm',
  usage: 'network rm NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 1 },
  async run(_values, operands) {
    await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      for (const ref of operands) {
        if (ref === 'host' || ref === 'none') throw new MobyDickError('USAGE', `${ref} is a pre-defined network and cannot be removed`, { subject: ref });
        e.networks.remove(ref);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});
