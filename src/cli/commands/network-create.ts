/** `moby-dick network create`: a bridge network of the engine's */
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { parseLabels } from '../container-flags.js';
import { withEngine } from '../engine-context.js';

const CREATE_OPTIONS = {
  driver: { type: 'string', short: 'd' },
  subnet: { type: 'string' },
  gateway: { type: 'string' },
  internal: { type: 'boolean' },
  label: { type: 'string', multiple: true },
} as const;

export const command = defineCommand({
  name: 'network create',
  usage: 'network create [OPTIONS] NETWORK',
  summary: 'Create a network',
  description: `Create a network

Options:
  -d, --driver bridge     the driver (bridge, the only one)
      --subnet CIDR       its IPv4 subnet (default: a free one of 172.17-31.0.0/16, 192.168.0.0/16 in /20s)
      --gateway IP        the bridge's address (default: the subnet's first)
      --internal          no traffic to or from outside the network
      --label KEY=VALUE   set metadata`,
  options: CREATE_OPTIONS,
  args: { min: 1, max: 1 },
  async run(values, operands) {
    if (values.driver !== undefined && values.driver !== 'bridge') {
      throw new MobyDickError('USAGE', `plugin "${values.driver}" not found`, { hint: 'moby-dick has the bridge driver only' });
    }
    if (values.gateway !== undefined && values.subnet === undefined) throw new MobyDickError('USAGE', 'a --gateway needs a --subnet', { subject: values.gateway });
    const n = await withEngine((e) =>
      e.networks.create({
        name: operands[0]!,
        ...(values.subnet !== undefined ? { subnet: values.subnet } : {}),
        ...(values.gateway !== undefined ? { gateway: values.gateway } : {}),
        internal: values.internal === true,
        labels: parseLabels(values.label ?? []),
      }),
    );
    process.stdout.write(`${n.id}\n`);
    return 0;
  },
});
