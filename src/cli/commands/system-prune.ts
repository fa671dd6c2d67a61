/** `moby-dick system prune [-a] [--volumes] [-f] [--filter until=|label=]`: Docker's prune of everything unused, with its warning. */
import { checkSystemPrune, SYSTEM_PRUNE_FILTERS, systemPrune, type SystemPruneResult } from '../../engine/system-prune.js';
import { filtersFromOptions } from '../../util/filters.js';
import { humanSize } from '../../util/human-units.js';
import { confirm, defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

/** Docker's warning: what will go. */
export function pruneWarning(all: boolean, volumes: boolean): string {
  const items = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
    all ? 'all images without at least one container associated to them' : 'all dangling images',
    all ? 'all build cache' : 'unused build cache',
  ];
  return `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}\nAre you sure you want to continue? [y/N] `;
}

/** What was deleted, by kind, and the total, as Docker prints it. */
export function pruneReport(r: SystemPruneResult): string {
  let out = '';
  if (r.containers.length) out += `Deleted Containers:\n${r.containers.map((id) => `${id}\n`).join('')}\n`;
  if (r.networks.length) out += `Deleted Networks:\n${r.networks.map((n) => `${n}\n`).join('')}\n`;
  if (r.volumes.length) out += `Deleted Volumes:\n${r.volumes.map((n) => `${n}\n`).join('')}\n`;
  if (r.images.length) out += `Deleted Images:\n${r.images.map((i) => `${i.untagged.map((t) => `untagged: ${t}\n`).join('')}deleted: ${i.deleted}\n`).join('')}\n`;
  return `${out}Total reclaimed space: ${humanSize(r.bytes, 4)}\n`;
}

export const command = defineCommand({
  name: 'system prune',
  usage: 'system prune [OPTIONS]',
  summary: 'Remove unused data',
  description: `Remove unused data: stopped containers, networks no container uses, dangling
images (and with --volumes, anonymous volumes no container uses)

Options:
  -a, --all             remove all unused images, not just dangling ones
      --filter FILTER   until=TIME (created before it), label=KEY[=VALUE],
                        label!=KEY[=VALUE]
  -f, --force           do not prompt for confirmation
      --volumes         prune anonymous volumes`,
  options: {
    all: { type: 'boolean', short: 'a' },
    filter: { type: 'string', multiple: true },
    force: { type: 'boolean', short: 'f' },
    volumes: { type: 'boolean' },
  },
  args: { min: 0, max: 0 },
  async run(values) {
    const filters = filtersFromOptions(values.filter ?? [], SYSTEM_PRUNE_FILTERS);
    const options = { all: values.all === true, volumes: values.volumes === true, filters };
    checkSystemPrune(options);
    if (!values.force && !(await confirm(pruneWarning(options.all, options.volumes)))) return 0;
    const result = await withEngine((e) => systemPrune(e, options));
    process.stdout.write(pruneReport(result));
    return 0;
  },
});
