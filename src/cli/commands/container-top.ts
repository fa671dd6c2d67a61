/** `moby-dick top CONTAINER [ps OPTIONS]`: the container's processes, as the host's ps shows them (default -ef). */
import { topPids } from '../../engine/container-processes.js';
import { top as psTop } from '../../engine/top.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

/** Go's tabwriter as `docker top` sets it up: cells at least 20 wide, 3 spaces of padding. */
export function topTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 20, c.length + 3)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('') + '\n').join('');
}

export const command = defineCommand({
  name: 'top',
  usage: 'top CONTAINER [ps OPTIONS]',
  summary: 'Display the running processes of a container',
  description: 'Display the running processes of a container (ps options default to -ef)',
  options: {},
  // ps's options follow the container
  trailingCommand: true,
  args: { min: 1 },
  async run(_values, operands) {
    const [ref, ...psArgs] = operands as [string, ...string[]];
    const result = await withEngine((e) => {
      const v = e.inspect(ref);
      if (!v.state.Running) throw new MobyDickError('USAGE', `container ${v.record.id} is not running`, { container: ref });
      return psTop(topPids(e, v), psArgs.length ? psArgs : undefined);
    });
    process.stdout.write(topTable([result.titles, ...result.processes]));
    return 0;
  },
});
