/** `moby-dick container prune [-f] [--filter until=T|label=K[=V]]`: removes every container that is not running. */
import { parsePruneFilters, pruneContainers } from '../../engine/container-prune.js';
import { confirm, defineCommand } from '../command.js';
import { parseTimeArg } from '../container-flags.js';
import { withEngine } from '../engine-context.js';
import { humanSize } from '../../util/human-units.js';

export const command = defineCommand({
  name: 'container prune',
  usage: 'container prune [OPTIONS]',
  summary: 'Remove all stopped containers',
  description: `Remove all stopped containers

Options:
      --filter FILTER   until=TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]
  -f, --force           do not prompt for confirmation`,
  options: { force: { type: 'boolean', short: 'f' }, filter: { type: 'string', multiple: true } },
  args: { min: 0 },
  async run(values) {
    const filter = parsePruneFilters(values.filter ?? [], (t) => parseTimeArg(t));
    if (!values.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
    const { deleted, bytes } = await withEngine((e) => pruneContainers(e, filter));
    if (deleted.length) process.stdout.write(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(bytes, 4)}\n`);
    return 0;
  },
});
