/** `moby-dick history [OPTIONS] IMAGE`: an image's history, newest first. */
import { imageHistory } from '../../build/container-commit.js';
import { shortId } from '../../images/digest.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { renderTemplate } from '../go-template.js';
import { humanDuration, humanSize, table } from '../../util/human-units.js';

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
      --format TEMPLATE   a Go template of each entry's fields: .ID, .CreatedSince,
                          .CreatedAt, .CreatedBy, .Size, .Comment
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
        CreatedAt: r.created ?? '',
        CreatedBy: noTrunc || by.length <= 45 ? by : `${by.slice(0, 44)}…`,
        Size: humanSize(r.size),
        Comment: r.comment,
      };
    });
    if (flags.format !== undefined && flags.format !== 'table') {
      const tpl = flags.format.replace(/^table\s+/, '');
      process.stdout.write(fields.map((f) => `${renderTemplate(tpl, f)}\n`).join(''));
      return 0;
    }
    process.stdout.write(table([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...fields.map((f) => [f.ID, f.CreatedSince, f.CreatedBy, f.Size, f.Comment])]));
    return 0;
  },
});
