/** `moby-dick container prune [-f] [--filter until=T|label=K[=V]]`: removes every container that is not running. */
import { parsePruneFilters, pruneContainers } from '../../engine/container-prune.js';
import { parseCommandLine } from '../args.js';
import { humanSize } from '../../util/human-units.js';
import { type Command, confirm, help, withEngine } from './engine-command.js';

const OPTIONS = { force: { type: 'boolean', short: 'f' }, filter: { type: 'string', multiple: true }, help: { type: 'boolean' } } as const;

const HELP = `Usage: moby-dick container prune [OPTIONS]

Remove all stopped containers

Options:
      --filter FILTER   until=TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]
  -f, --force           do not prompt for confirmation
`;

export const containerPrune: Command = async (argv) => {
  const { values } = parseCommandLine(argv, OPTIONS, 'moby-dick container prune --help');
  if (values.help) return help(HELP);
  const { parseTimeArg } = await import('./containers.js');
  const filter = parsePruneFilters(values.filter ?? [], (t) => parseTimeArg(t));
  if (!values.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
  const { deleted, bytes } = await withEngine((e) => pruneContainers(e, filter));
  if (deleted.length) process.stdout.write(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(bytes, 4)}\n`);
  return 0;
};
