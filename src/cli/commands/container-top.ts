/** `moby-dick top CONTAINER [ps OPTIONS]`: the container's processes, as the host's ps shows them (default -ef). */
import { top as psTop } from '../../engine/top.js';
import { MobyDickError } from '../../errors.js';
import { parseCommandLine } from '../args.js';
import { type Command, help, needArgs, withEngine } from './engine-command.js';

const HELP = `Usage: moby-dick top CONTAINER [ps OPTIONS]

Display the running processes of a container (ps options default to -ef)
`;

/** Go's tabwriter as `docker top` sets it up: cells at least 20 wide, 3 spaces of padding. */
export function topTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 20, c.length + 3)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('') + '\n').join('');
}

export const top: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, 'moby-dick top --help');
  if (values.help) return help(HELP);
  needArgs('top', operands, 1);
  const [ref, ...psArgs] = operands;
  const result = await withEngine((e) => {
    const v = e.inspect(ref!);
    if (!v.state.Running) throw new MobyDickError('USAGE', `container ${v.record.id} is not running`, { container: ref });
    return psTop(e.runtime.ps(v.record.id), psArgs.length ? psArgs : undefined);
  });
  process.stdout.write(topTable([result.titles, ...result.processes]));
  return 0;
};
