/** `moby-dick network ls`: the networks, with Docker's pre-defined host and none */
import { pseudoNetworkId } from '../../engine/network-inspect.js';
import type { NetworkRecord } from '../../network/network-table.js';
import { MobyDickError } from '../../errors.js';
import { goTimeString } from '../../util/human-units.js';
import { defineCommand } from '../command.js';
import { formatRows, formatterRow } from '../go-template.js';
import { withEngine } from '../engine-context.js';

interface Row {
  id: string;
  name: string;
  driver: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
}

function rows(networks: readonly NetworkRecord[]): Row[] {
  const out: Row[] = networks.map((n) => ({ id: n.id, name: n.name, driver: 'bridge', internal: n.internal, labels: n.labels, created: n.created }));
  for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
    out.push({ id: pseudoNetworkId(name), name, driver, internal: false, labels: {}, created: '' });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Docker's default table of networks and its column names (cli/command/network/formatter.go). */
const NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const NETWORK_HEADERS = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT',
};

const LS_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
  'no-trunc': { type: 'boolean' },
} as const;

function rowMatches(r: Row, filters: readonly string[]): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    const [key, value] = eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    if (key === 'name') return r.name.includes(value);
    if (key === 'id') return r.id.startsWith(value);
    if (key === 'driver') return r.driver === value;
    if (key === 'label') return value.includes('=') ? r.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : Object.hasOwn(r.labels, value);
    throw new MobyDickError('USAGE', `invalid filter '${key}'`, { hint: 'network ls takes name=, id=, driver=, label=' });
  });
}

export const command = defineCommand({
  name: 'network ls',
  usage: 'network ls [-q] [--no-trunc] [-f name=|id=|driver=|label=] [--format table|json|TEMPLATE]',
  summary: 'List networks',
  description: `List networks

Options:
  -f, --filter FILTER   name=, id=, driver=, label=KEY[=VALUE]
      --format FORMAT   table (default), json, or a Go template
      --no-trunc        do not truncate the output
  -q, --quiet           only the networks' IDs`,
  options: LS_OPTIONS,
  args: { min: 0 },
  async run(values) {
    const networks = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return e.networks.list();
    });
    const shown = rows(networks).filter((r) => rowMatches(r, values.filter ?? []));
    const id = (r: Row) => (values['no-trunc'] ? r.id : r.id.slice(0, 12));
    if (values.quiet) {
      process.stdout.write(shown.map((r) => `${id(r)}\n`).join(''));
      return 0;
    }
    const fields = (r: Row) =>
      formatterRow('*network.networkContext', {
        ID: id(r), Name: r.name, Driver: r.driver, Scope: 'local', IPv4: 'true', IPv6: 'false', Internal: String(r.internal),
        // Go's time.String(): fractions of a second as they are; the zero time for host and none
        CreatedAt: r.created ? goTimeString(new Date(r.created), true) : '0001-01-01 00:00:00 +0000 UTC',
        Labels: Object.entries(r.labels).map(([k, x]) => `${k}=${x}`).join(','),
      }, r.labels);
    process.stdout.write(formatRows(values.format ?? 'table', shown.map(fields), { headers: NETWORK_HEADERS, table: NETWORK_TABLE }));
    return 0;
  },
});
