/** `moby-dick ps [OPTIONS]`: Docker's table of containers, or JSON lines, a template, IDs. */
import type { ContainerView } from '../../engine/engine.js';
import { statusText } from '../../engine/status.js';
import { MobyDickError } from '../../errors.js';
import type { PublishedPort } from '../../network/network-table.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { formatRows, formatterRow, validateFormat } from '../go-template.js';
import { goTimeString, humanDuration } from '../../util/human-units.js';

/** An argument as a shell would need it, as Docker shows commands. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function commandText(v: ContainerView, noTrunc: boolean): string {
  const cmd = v.record.engine.argv.map(shellQuote).join(' ');
  const shown = noTrunc || cmd.length <= 20 ? cmd : `${cmd.slice(0, 19)}…`;
  return `"${shown}"`;
}

/** Docker's filters for ps: name=, id=, status=, label=, exited=, ancestor=. */
function matches(v: ContainerView, filters: readonly string[]): boolean {
  for (const f of filters) {
    const eq = f.indexOf('=');
    const [key, value] = eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    const r = v.record;
    const ok =
      key === 'name' ? r.name.includes(value) :
      key === 'id' ? r.id.startsWith(value) :
      key === 'status' ? v.state.Status === value :
      key === 'exited' ? v.state.Status === 'exited' && String(v.state.ExitCode) === value :
      key === 'ancestor' ? r.image === value || r.imageId === value :
      key === 'label' ? (value.includes('=') ? r.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : value in r.labels) :
      (() => { throw new MobyDickError('USAGE', `invalid filter '${key}'`); })();
    if (!ok) return false;
  }
  return true;
}

/** Docker's default `ps` table and its column names (cli/command/formatter/container.go). */
const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
export const PS_HEADERS = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS', Platform: 'PLATFORM',
};

/** ps's fields, with Docker's names, for --format. */
function psFields(v: ContainerView, noTrunc: boolean, now: number, ports: readonly PublishedPort[], networkName: (id: string) => string): Record<string, string | null> {
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
    Ports: ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', '),
    Names: r.name,
    Labels: Object.entries(r.labels).map(([k, x]) => `${k}=${x}`).join(','),
    Mounts: [...Object.keys(r.volumes), ...r.engine.binds.filter((b) => !Object.values(r.volumes).includes(b.destination)).map((b) => b.source)].join(','),
    LocalVolumes: String(Object.keys(r.volumes).length),
    Networks: [...networks].sort().join(','),
    // Docker's when the API gives no platform, and no size (ps -s) was asked for
    Platform: null,
    Size: '0B',
  };
}

export const command = defineCommand({
  name: 'ps',
  usage: 'ps [-a] [-q] [--no-trunc] [-f FILTER] [--format table|json|TEMPLATE]',
  summary: 'List containers',
  description: `List containers

Options:
  -a, --all             show all containers (default shows just running)
  -f, --filter FILTER   name=, id=, status=, label=KEY[=VALUE], exited=, ancestor=
      --format FORMAT   table (default), json (one object per line), or a Go template
                        of .ID .Image .Command .CreatedAt .RunningFor .Ports .State
                        .Status .Names .Labels .Label "KEY" .Mounts .LocalVolumes
                        .Networks; "table TEMPLATE" adds Docker's header
      --no-trunc        do not truncate the output
  -q, --quiet           only container IDs`,
  options: {
    all: { type: 'boolean', short: 'a' },
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
    const [views, published, networks] = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return [e.list(), e.networks.table.ports(), e.networks.list()] as const;
    });
    const networkName = (id: string): string => networks.find((n) => n.id === id)?.name ?? id.slice(0, 12);
    const portsOf = (v: ContainerView) => published.filter((p) => p.containerId === v.record.id);
    const shown = views.filter((v) => (values.all || v.state.Running) && matches(v, values.filter ?? []));
    const noTrunc = values['no-trunc'] === true;
    if (values.quiet) {
      for (const v of shown) process.stdout.write(`${noTrunc ? v.record.id : v.record.id.slice(0, 12)}\n`);
      return 0;
    }
    const rows = shown.map((v) => formatterRow('*formatter.ContainerContext', psFields(v, noTrunc, now, portsOf(v), networkName), v.record.labels));
    process.stdout.write(formatRows(values.format ?? 'table', rows, { headers: PS_HEADERS, table: PS_TABLE }));
    return 0;
  },
});
