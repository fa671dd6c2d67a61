/** `moby-dick history [OPTIONS] IMAGE`: an image's history, newest first. */
import { imageHistory } from '../../build/container-commit.js';
import { shortId } from '../../images/digest.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { formatRows, formatterRow } from '../go-template.js';
import { humanDuration, humanSize } from '../../util/human-units.js';

/** Docker's default tables of history and its column names (cli/command/image/formatter_history.go). */
const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_TABLE_NON_HUMAN = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

const OPTIONS = {
  'no-trunc': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  format: { type: 'string' },
  human: { type: 'boolean', short: 'H' },
} as const;

export const command = defineCommand({
  name: 'history',
  usage: 'history [OPTIONS] IMAGE',
  summary: 'Show the history of an image',
  description: `Show the history of an image

Options:
  -H, --human             sizes and dates for humans (default true; --human=false: bytes and RFC 3339)
      --format FORMAT     table (default), json, or a Go template of each entry's
                          fields: .ID, .CreatedSince, .CreatedAt, .CreatedBy, .Size,
                          .Comment; "table TEMPLATE" adds Docker's header
      --no-trunc          do not shorten the output
  -q, --quiet             print only the image IDs`,
  options: OPTIONS,
  args: { min: 1, max: 1 },
  async run(flags, operands) {
    const rows = await withEngine((engine) => imageHistory(engine, operands[0]!));
    const noTrunc = flags['no-trunc'] === true;
    const now = Date.now();
    const id = (x: string) => (x === '<missing>' || noTrunc ? x : shortId(x));
    if (flags.quiet) {
      process.stdout.write(rows.map((r) => `${id(r.id)}\n`).join(''));
      return 0;
    }
    const fields = rows.map((r) => {
      const by = r.createdBy.replace(/\s+/g, ' ');
      return {
        ID: id(r.id),
        CreatedSince: r.created ? `${humanDuration(now - Date.parse(r.created))} ago` : 'N/A',
        // Docker: the Unix second, in RFC 3339
        CreatedAt: r.created ? new Date(r.created).toISOString().replace(/\.\d+Z$/, 'Z') : '',
        CreatedBy: noTrunc || by.length <= 45 ? by : `${by.slice(0, 44)}…`,
        Size: humanSize(r.size),
        Comment: r.comment,
      };
    });
    const rowsOut = fields.map((f) => formatterRow('*image.historyContext', f));
    process.stdout.write(formatRows(flags.format ?? 'table', rowsOut, { headers: HISTORY_HEADERS, table: flags.human === false ? HISTORY_TABLE_NON_HUMAN : HISTORY_TABLE }));
    return 0;
  },
});
