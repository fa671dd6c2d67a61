/** `moby-dick system df [-v] [--format TEMPLATE]`: Docker's table of the disk the store's images, containers and volumes use. */
import { diskUsageOf } from '../../engine/disk-usage.js';
import { table } from '../../util/human-units.js';
import { defineCommand } from '../command.js';
import { dfContainerRows, dfImageRows, dfSummary, dfVolumeRows } from '../disk-usage-table.js';
import { withEngine } from '../engine-context.js';
import { formatRows } from '../go-template.js';

/** Docker's default table of `system df` and its column names (cli/command/formatter/disk_usage.go). */
const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export const command = defineCommand({
  name: 'system df',
  usage: 'system df [OPTIONS]',
  summary: 'Show moby-dick disk usage',
  description: `Show moby-dick disk usage: images (each layer counted once), containers'
writable layers, local volumes, build cache

Options:
      --format FORMAT   table (the default), json (an object per type), or a Go
                        template of each type's row: {{.Type}} {{.TotalCount}}
                        {{.Active}} {{.Size}} {{.Reclaimable}}
  -v, --verbose         show each image, container and volume`,
  options: { format: { type: 'string' }, verbose: { type: 'boolean', short: 'v' } },
  args: { min: 0, max: 0 },
  async run(values) {
    const u = await withEngine((e) => diskUsageOf(e));
    const now = Date.now();
    const summary = dfSummary(u);
    // a format of one's own is per type, with -v too (as Docker's)
    if (!values.verbose || (values.format !== undefined && values.format !== 'table')) {
      process.stdout.write(formatRows(values.format ?? 'table', summary, { headers: DF_HEADERS, table: DF_TABLE }));
      return 0;
    }
    process.stdout.write(
      `Images space usage:\n\n${table(dfImageRows(u, now))}\n` +
        `Containers space usage:\n\n${table(dfContainerRows(u, now))}\n` +
        `Local Volumes space usage:\n\n${table(dfVolumeRows(u))}\n` +
        `Build cache usage: 0B\n\n${table([['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED']])}`,
    );
    return 0;
  },
});
