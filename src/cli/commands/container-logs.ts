/** `moby-dick logs [OPTIONS] CONTAINER`: the container's log, stdout and stderr each to ours; -f follows it until the container ends. */
import { checkLogsReadable } from '../../engine/host-config.js';
import { formatEntry, readLogs } from '../../engine/logs.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { parseTimeArg } from '../container-flags.js';
import { withEngine } from '../engine-context.js';

/** --tail N: a count of lines, or "all" (a negative N too, as Docker's); undefined for all. */
export function tailLines(text: string): number | undefined {
  if (text === 'all') return undefined;
  if (!/^-?\d+$/.test(text.trim())) {
    throw new MobyDickError('USAGE', `invalid value for "tail": "${text}"`, { hint: 'give a number of lines, or all' });
  }
  const n = Number(text);
  return n < 0 ? undefined : n;
}

export const command = defineCommand({
  name: 'logs',
  usage: 'logs [-f] [-t] [--tail N] [--since T] [--until T] CONTAINER',
  summary: 'Fetch the logs of a container',
  description: `Fetch the logs of a container

Options:
  -f, --follow          follow the log output
  -n, --tail N          the last N lines (default all)
      --since T         lines since T (RFC 3339, a Unix time, or a duration: 10m)
      --until T         lines before T
  -t, --timestamps      show each line's time`,
  options: {
    follow: { type: 'boolean', short: 'f' },
    tail: { type: 'string', short: 'n' },
    since: { type: 'string' },
    until: { type: 'string' },
    timestamps: { type: 'boolean', short: 't' },
  },
  args: { min: 1, max: 1 },
  async run(values, operands) {
    const tail = values.tail === undefined ? undefined : tailLines(values.tail);
    const v = await withEngine((e) => e.inspect(operands[0]!));
    checkLogsReadable(v.record);
    const entries = readLogs(v.paths.log, {
      ...(tail !== undefined ? { tail } : {}),
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
