/** `moby-dick logs [OPTIONS] CONTAINER`: the container's log, stdout and stderr each to ours; -f follows it until the container ends. */
import { checkLogsReadable } from '../../engine/host-config.js';
import { formatEntry, readLogs } from '../../engine/logs.js';
import { defineCommand } from '../command.js';
import { parseTimeArg } from '../container-flags.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'logs',
  usage: 'logs [-f] [-t] [--tail N] [--since T] [--until T] CONTAINER',
  summary: 'Fetch the logs of a container',
  options: {
    follow: { type: 'boolean', short: 'f' },
    tail: { type: 'string', short: 'n' },
    since: { type: 'string' },
    until: { type: 'string' },
    timestamps: { type: 'boolean', short: 't' },
  },
  args: { min: 1, max: 1 },
  async run(values, operands) {
    const v = await withEngine((e) => e.inspect(operands[0]!));
    checkLogsReadable(v.record);
    const tail = values.tail === undefined || values.tail === 'all' ? undefined : Number(values.tail);
    const entries = readLogs(v.paths.log, {
      ...(tail !== undefined && Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
      ...(values.since ? { since: BigInt(parseTimeArg(values.since)) * 1_000_000n } : {}),
      ...(values.until ? { until: BigInt(parseTimeArg(values.until)) * 1_000_000n } : {}),
      // follows until the container ends (its exit file appears)
      ...(values.follow && v.state.Running ? { follow: true, exitFile: v.paths.exitFile } : {}),
    });
    for await (const entry of entries) {
      const out = entry.stream === 'stderr' ? process.stderr : process.stdout;
      out.write(formatEntry(entry, { timestamps: values.timestamps === true }));
    }
    return 0;
  },
});
