/** `moby-dick ps [OPTIONS]`: Docker's table of containers, or JSON lines, a template, IDs. */
import type { ContainerView } from '../../engine/engine.js';
import { CONTAINER_FILTERS, checkContainerFilters, containerMatches, filtersShowStopped, type SummaryPort, summaryPorts } from '../../engine/container-filters.js';
import { containerSize } from '../../engine/disk-usage.js';
import { statusText } from '../../engine/status.js';
import { MobyDickError } from '../../errors.js';
import type { PublishedPort } from '../../network/network-table.js';
import { defineCommand } from '../command.js';
import { displayPorts } from '../display-ports.js';
import { withEngine } from '../engine-context.js';
import { formatRows, formatterRow, validateFormat } from '../go-template.js';
import { type Filters, filtersFromOptions } from '../../util/filters.js';
import { goTimeString, humanDuration, humanSize } from '../../util/human-units.js';

/** An argument as a shell would need it, as Docker shows commands. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function commandText(v: ContainerView, noTrunc: boolean): string {
  const cmd = v.record.engine.argv.map(shellQuote).join(' ');
  const shown = noTrunc || cmd.length <= 20 ? cmd : `${cmd.slice(0, 19)}…`;
  return `"${shown}"`;
}

/** Docker's default `ps` table and its column names (cli/command/formatter/container.go). */
const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
/** with -s: Docker's table adds SIZE */
const PS_SIZE_TABLE = `${PS_TABLE}\t{{.Size}}`;
export const PS_HEADERS = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS', Platform: 'PLATFORM',
};

/**
 * ps's default table, parsed and printed once for no container while the
 * CLI's snapshot is built (snapshot-warm-up.ts): the parsed template stays
 * in parseFormat's memo, and the code of the parser, the header and the
 * tabwriter compiled, in every `ps` started from the snapshot.
 */
export function warmUpPs(): void {
  formatRows('table', [], { headers: PS_HEADERS, table: PS_TABLE });
}

/** ps's fields, with Docker's names, for --format. */
function psFields(v: ContainerView, noTrunc: boolean, now: number, ports: readonly SummaryPort[], networkName: (id: string) => string, size = '0B'): Record<string, string | null> {
  const r = v.record;
  const net = r.net;
  const networks = !net || net.mode === 'none' ? ['none'] : net.mode === 'host' ? ['host'] : net.mode === 'container' ? [] : net.networks.map((n) => networkName(n.id));
  return {
    ID: noTrunc ? r.id : r.id.slice(0, 12),
    Image: r.image,
    Command: commandText(v, noTrunc),
    CreatedAt: goTimeString(new Date(r.created)),
    RunningFor: `${humanDuration(now - Date.parse(r.created))} ago`,
    Status: statusText(v.state, r.state.startedAt, now),
    State: v.state.Status,
    Ports: displayPorts(ports),
    Names: r.name,
    Labels: Object.entries(r.labels).map(([k, x]) => `${k}=${x}`).join(','),
    Mounts: [...Object.keys(r.volumes), ...r.engine.binds.filter((b) => !Object.values(r.volumes).includes(b.destination)).map((b) => b.source)].join(','),
    LocalVolumes: String(Object.keys(r.volumes).length),
    Networks: [...networks].sort().join(','),
    // Docker's when the API gives no platform; Size "0B" unless ps -s asked for it
    Platform: null,
    Size: size,
  };
}

/** ps -s's SIZE, as Docker: the writable layer, and with the image ("0B (virtual 4.26MB)"). */
export function sizeText(sizeRw: number, sizeRootFs: number): string {
  return `${humanSize(sizeRw)} (virtual ${humanSize(sizeRootFs)})`;
}

/** The containers ps shows, newest first: running ones (all with -a, -n, -l or a filter of stopped ones), the last N with -n. */
export function shownContainers(views: readonly ContainerView[], o: { all: boolean; last?: number; filters: Filters; published?: readonly PublishedPort[] }): ContainerView[] {
  const published = o.published ?? [];
  const everyState = o.all || o.last !== undefined || filtersShowStopped(o.filters);
  const sorted = [...views].sort((a, b) => Date.parse(b.record.created) - Date.parse(a.record.created));
  const shown = sorted.filter((v) => (everyState || v.state.Running) && containerMatches(v, o.filters, sorted, (x) => summaryPorts(x, published)));
  return o.last !== undefined && o.last >= 0 ? shown.slice(0, o.last) : shown;
}

export const command = defineCommand({
  name: 'ps',
  usage: 'ps [OPTIONS]',
  summary: 'List containers',
  examples: `# every container, stopped ones too
moby-dick ps -a
# the names and states of the containers labelled app=web
moby-dick ps -a --filter label=app=web --format '{{.Names}} {{.State}}'`,
  description: `List containers (the running ones; every one with -a)

Options:
  -a, --all             show all containers
  -f, --filter FILTER   id=, name=, label=KEY[=VALUE], status=, exited=CODE,
                        ancestor=IMAGE, before=CONTAINER, since=CONTAINER,
                        volume=, network=, publish=PORT[/PROTO] (a host port),
                        expose=PORT[/PROTO] (a container port; both take START-END),
                        health=starting|healthy|unhealthy|none, isolation=default,
                        is-task=false
      --format FORMAT   table (default), json (one object per line), or a Go template
                        of .ID .Image .Command .CreatedAt .RunningFor .Ports .State
                        .Status .Names .Labels .Label "KEY" .Mounts .LocalVolumes
                        .Networks .Size; "table TEMPLATE" adds Docker's header
  -n, --last N          the last N created containers (in every state)
  -l, --latest          the latest created container (in every state)
      --no-trunc        do not truncate the output
  -q, --quiet           only container IDs
  -s, --size            a SIZE column: the writable layer (virtual: with the image)`,
  options: {
    all: { type: 'boolean', short: 'a' },
    last: { type: 'string', short: 'n' },
    latest: { type: 'boolean', short: 'l' },
    size: { type: 'boolean', short: 's' },
    quiet: { type: 'boolean', short: 'q' },
    'no-trunc': { type: 'boolean' },
    filter: { type: 'string', short: 'f', multiple: true },
    format: { type: 'string' },
  },
  // as before: operands are not looked at
  args: { min: 0 },
  async run(values) {
    const now = Date.now();
    const empty = { ID: '', Image: '', Command: '""', CreatedAt: '', RunningFor: '', Status: '', State: '', Ports: '', Names: '', Labels: '', Mounts: '', LocalVolumes: '0', Networks: '', Platform: null, Size: '0B' };
    if (values.format !== undefined) validateFormat(values.format, formatterRow('*formatter.ContainerContext', empty, {}));
    const filters = filtersFromOptions(values.filter ?? [], CONTAINER_FILTERS);
    checkContainerFilters(filters);
    let last: number | undefined;
    if (values.last !== undefined) {
      last = Number(values.last);
      if (!/^-?\d+$/.test(values.last)) throw new MobyDickError('FLAG', `invalid argument "${values.last}" for "-n, --last" flag: strconv.ParseInt: parsing "${values.last}": invalid syntax`, { hint: "see 'moby-dick ps --help'" });
    }
    if (values.latest) last = 1;
    const [shown, published, networks, sizes] = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      const ports = e.networks.table.ports();
      const list = shownContainers(e.list(), { all: values.all === true, ...(last !== undefined && last >= 0 ? { last } : {}), filters, published: ports });
      const sized = values.size ? new Map(list.map((v) => [v.record.id, containerSize(e, v)])) : undefined;
      return [list, ports, e.networks.list(), sized] as const;
    });
    const networkName = (id: string): string => networks.find((n) => n.id === id)?.name ?? id.slice(0, 12);
    const portsOf = (v: ContainerView) => summaryPorts(v, published);
    const sizeOf = (v: ContainerView): string => {
      const s = sizes?.get(v.record.id);
      return s ? sizeText(s.sizeRw, s.sizeRootFs) : '0B';
    };
    const noTrunc = values['no-trunc'] === true;
    if (values.quiet) {
      for (const v of shown) process.stdout.write(`${noTrunc ? v.record.id : v.record.id.slice(0, 12)}\n`);
      return 0;
    }
    const rows = shown.map((v) => formatterRow('*formatter.ContainerContext', psFields(v, noTrunc, now, portsOf(v), networkName, sizeOf(v)), v.record.labels));
    process.stdout.write(formatRows(values.format ?? 'table', rows, { headers: PS_HEADERS, table: sizes ? PS_SIZE_TABLE : PS_TABLE }));
    return 0;
  },
});
