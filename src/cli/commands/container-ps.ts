/** `moby-dick ps [OPTIONS]`: Docker's table of containers, or JSON lines, a template, IDs. */
import type { ContainerView } from '../../engine/engine.js';
import { HEALTH_FILTER_VALUES, healthFilterValue } from '../../engine/health.js';
import { statusText } from '../../engine/status.js';
import { MobyDickError } from '../../errors.js';
import type { PublishedPort } from '../../network/network-table.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { renderTemplate } from '../go-template.js';
import { humanDuration, table } from '../../util/human-units.js';

/** An argument as a shell would need it, as Docker shows commands. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function commandText(v: ContainerView, noTrunc: boolean): string {
  const cmd = v.record.engine.argv.map(shellQuote).join(' ');
  const shown = noTrunc || cmd.length <= 20 ? cmd : `${cmd.slice(0, 19)}…`;
  return `"${shown}"`;
}

/** Docker's filters for ps: name=, id=, status=, label=, exited=, ancestor=, health=. */
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
      key === 'health' ? healthFilter(value) === healthFilterValue(v.state) :
      key === 'label' ? (value.includes('=') ? r.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : value in r.labels) :
      (() => { throw new MobyDickError('USAGE', `invalid filter '${key}'`); })();
    if (!ok) return false;
  }
  return true;
}

function healthFilter(value: string): string {
  if (!HEALTH_FILTER_VALUES.includes(value)) throw new MobyDickError('USAGE', `Unrecognised filter value for health: ${value}`, { hint: `give one of ${HEALTH_FILTER_VALUES.join(', ')}` });
  return value;
}

/** ps's fields, with Docker's names, for --format. */
function psFields(v: ContainerView, noTrunc: boolean, now: number, ports: readonly PublishedPort[] = []): Record<string, string> {
  const r = v.record;
  return {
    ID: noTrunc ? r.id : r.id.slice(0, 12),
    Image: r.image,
    Command: commandText(v, noTrunc),
    CreatedAt: new Date(r.created).toISOString(),
    RunningFor: `${humanDuration(now - Date.parse(r.created))} ago`,
    Status: statusText(v.state, r.state.startedAt, now),
    State: v.state.Status,
    Ports: ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', '),
    Names: r.name,
    Labels: Object.entries(r.labels).map(([k, x]) => `${k}=${x}`).join(','),
    Mounts: r.engine.binds.map((b) => b.source).join(','),
  };
}

export const command = defineCommand({
  name: 'ps',
  usage: 'ps [-a] [-q] [--no-trunc] [-f FILTER] [--format table|json|TEMPLATE]',
  summary: 'List containers',
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
    const [views, published] = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return [e.list(), e.networks.table.ports()] as const;
    });
    const portsOf = (v: ContainerView) => published.filter((p) => p.containerId === v.record.id);
    const shown = views.filter((v) => (values.all || v.state.Running) && matches(v, values.filter ?? []));
    const noTrunc = values['no-trunc'] === true;
    if (values.quiet) {
      for (const v of shown) process.stdout.write(`${noTrunc ? v.record.id : v.record.id.slice(0, 12)}\n`);
      return 0;
    }
    const format = values.format ?? 'table';
    if (format === 'json') {
      for (const v of shown) process.stdout.write(`${JSON.stringify(psFields(v, noTrunc, now, portsOf(v)))}\n`);
      return 0;
    }
    if (format !== 'table') {
      const template = format.startsWith('table ') ? format.slice(6) : format;
      for (const v of shown) process.stdout.write(`${renderTemplate(template, psFields(v, noTrunc, now, portsOf(v)))}\n`);
      return 0;
    }
    const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
    for (const v of shown) {
      const f = psFields(v, noTrunc, now, portsOf(v));
      rows.push([f.ID!, f.Image!, f.Command!, f.RunningFor!, f.Status!, f.Ports!, f.Names!]);
    }
    process.stdout.write(table(rows));
    return 0;
  },
});
