/** `moby-dick volume ls`: the volumes, with Docker's filters */
import { MobyDickError } from '../../errors.js';
import { type Volume, VolumeStore } from '../../engine/volumes.js';
import { defineCommand } from '../command.js';
import { formatRows, formatterRow } from '../go-template.js';
import { withVolumes } from '../volume-context.js';

/** Docker's default table of volumes and its column names (cli/command/formatter/volume.go). */
const VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';
const VOLUME_HEADERS = {
  ID: 'ID', Name: 'VOLUME NAME', Group: 'GROUP', Driver: 'DRIVER', Scope: 'SCOPE', Availability: 'AVAILABILITY', Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Status: 'STATUS',
};

const LS_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
} as const;

/** volume ls's filters: dangling=true|false, name=SUBSTRING, label=KEY[=VALUE]. */
function volumeMatches(v: Volume, inUse: boolean, filters: readonly string[]): boolean {
  for (const f of filters) {
    const eq = f.indexOf('=');
    const [key, value] = eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    const ok =
      key === 'dangling' ? (value === 'true' || value === '1') !== inUse :
      key === 'name' ? v.name.includes(value) :
      key === 'driver' ? value === 'local' :
      key === 'label' ? (value.includes('=') ? v.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : Object.hasOwn(v.labels, value)) :
      (() => { throw new MobyDickError('USAGE', `invalid filter '${key}'`); })();
    if (!ok) return false;
  }
  return true;
}

export const command = defineCommand({
  name: 'volume ls',
  usage: 'volume ls [-q] [-f dangling=true|name=N|label=K[=V]] [--format table|json|TEMPLATE]',
  summary: 'List volumes',
  description: `List volumes

Options:
  -f, --filter FILTER   dangling=true|false, name=, label=KEY[=VALUE]
      --format FORMAT   table (default), json, or a Go template
  -q, --quiet           only the volumes' names`,
  options: LS_OPTIONS,
  args: { min: 0 },
  async run(values) {
    const shown = await withVolumes((vs, containers) =>
      vs.list().filter((v) => volumeMatches(v, VolumeStore.users(v.name, containers).length > 0, values.filter ?? [])),
    );
    if (values.quiet) {
      process.stdout.write(shown.map((v) => `${v.name}\n`).join(''));
      return 0;
    }
    const fields = (v: Volume) =>
      formatterRow('*formatter.volumeContext', {
        Driver: 'local', Name: v.name, Mountpoint: v.mountpoint, Scope: 'local',
        Labels: Object.entries(v.labels).map(([k, x]) => `${k}=${x}`).join(','), Links: 'N/A', Size: 'N/A', Group: 'N/A', Availability: 'N/A', Status: 'N/A',
      }, v.labels);
    process.stdout.write(formatRows(values.format ?? 'table', shown.map(fields), { headers: VOLUME_HEADERS, table: VOLUME_TABLE }));
    return 0;
  },
});
