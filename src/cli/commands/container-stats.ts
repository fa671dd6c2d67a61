/**
 * `moby-dick stats [OPTIONS] [CONTAINER...]`: CPU %, memory, block I/O and
 * pids of containers, from their cgroups (engine/stats.ts). CPU % needs two
 * samples: every line is over the last second, as Docker's. Without
 * --no-stream it redraws every second until interrupted (on a terminal the
 * screen is cleared first).
 */
import type { Engine } from '../../engine/engine.js';
import { refuseRootlessStats } from '../../engine/rootless-container.js';
import { cpuPercent, memPercent, sample, type StatsSample } from '../../engine/stats.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { checkRowsFormat, formatRows, formatterRow } from '../go-template.js';
import { bytesSize, humanSize } from '../../util/human-units.js';

const DESCRIPTION = `Display a live stream of container(s) resource usage statistics

Options:
  -a, --all             show all containers (default shows just running)
      --format FORMAT   table (default), json, or a template: {{.Name}} {{.CPUPerc}}
                        {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}
                        {{.ID}} {{.Container}}; "table TEMPLATE" adds a header
      --no-stream       print one result and exit
      --no-trunc        do not truncate the IDs

As an ordinary user (rootless) the numbers come from the cgroup v2 subtree
delegated to you; without one, stats is refused (top lists the processes).`;

const INTERVAL_MS = 1000;

const HEADERS: Record<string, string> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

interface Target {
  /** as the user named it (the ID when listing) */
  given: string;
  id: string;
  name: string;
}

export function statsFields(t: Target, prev: StatsSample, cur: StatsSample, noTrunc: boolean): Record<string, string> {
  return {
    Container: t.given,
    ID: noTrunc ? t.id : t.id.slice(0, 12),
    Name: t.name,
    CPUPerc: `${cpuPercent(prev, cur).toFixed(2)}%`,
    MemUsage: `${bytesSize(cur.memUsage)} / ${bytesSize(cur.memLimit)}`,
    MemPerc: `${memPercent(cur).toFixed(2)}%`,
    // --network none or host: no interfaces of its own to count (0B / 0B)
    NetIO: `${humanSize(cur.netRx)} / ${humanSize(cur.netTx)}`,
    BlockIO: `${humanSize(cur.blkRead)} / ${humanSize(cur.blkWrite)}`,
    PIDs: String(cur.pids),
  };
}

/** The lines to print for ROWS, in FORMAT (Docker's formatter: json, table, "table TEMPLATE", TEMPLATE; \t is a tab). */
export function renderStats(format: string, rows: readonly Record<string, string>[]): string {
  return formatRows(format, rows.map((r) => formatterRow('*container.statsContext', r)), { headers: HEADERS, table: DEFAULT_FORMAT });
}

function targets(engine: Engine, refs: readonly string[], all: boolean): Target[] {
  if (refs.length) {
    return refs.map((ref) => {
      const r = engine.containers.find(ref);
      return { given: ref, id: r.id, name: r.name };
    });
  }
  return engine
    .list()
    .filter((v) => all || v.state.Running)
    .map((v) => ({ given: v.record.id.slice(0, 12), id: v.record.id, name: v.record.name }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const command = defineCommand({
  name: 'stats',
  usage: 'stats [OPTIONS] [CONTAINER...]',
  summary: 'Display a live stream of container(s) resource usage statistics',
  description: DESCRIPTION,
  options: {
    all: { type: 'boolean', short: 'a' },
    'no-stream': { type: 'boolean' },
    'no-trunc': { type: 'boolean' },
    format: { type: 'string' },
  },
  args: { min: 0 },
  async run(values, operands) {
    const format = values.format ?? 'table';
    const noTrunc = values['no-trunc'] === true;
    checkRowsFormat(format); // a bad template fails before the first second goes by
    return withEngine(async (engine) => {
      refuseRootlessStats(engine.options.rootless);
      const terminal = process.stdout.isTTY === true;
      const sampleAll = (shown: readonly Target[]): Map<string, StatsSample> => new Map(shown.map((t) => [t.id, sample(engine, t.id)]));
      let previous = sampleAll(targets(engine, operands, values.all === true));
      for (;;) {
        await sleep(INTERVAL_MS);
        const shown = targets(engine, operands, values.all === true);
        const now = sampleAll(shown);
        const rows = shown.map((t) => statsFields(t, previous.get(t.id) ?? now.get(t.id)!, now.get(t.id)!, noTrunc));
        if (terminal && !values['no-stream']) process.stdout.write('\x1b[2J\x1b[H');
        process.stdout.write(renderStats(format, rows));
        if (values['no-stream']) return 0;
        previous = now;
      }
    });
  },
});
