/** `moby-dick image inspect [--format TEMPLATE] IMAGE...` */
import { MobyDickError } from '../../errors.js';
import { inspectDocument } from '../../images/inspect.js';
import { defineCommand } from '../command.js';
import { writeInspect } from '../go-template.js';
import { withStore } from '../image-context.js';
import { formatError } from '../report-error.js';

const OPTIONS = { format: { type: 'string', short: 'f' } } as const;

export const command = defineCommand({
  name: 'image inspect',
  usage: 'image inspect [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Display detailed information on one or more images',
  description: `Display detailed information on one or more images

Options:
  -f, --format FORMAT     a Go template ({{.Id}}, {{json .Config}}, {{range}}, printf, ...)
                          or json, instead of the indented JSON`,
  options: OPTIONS,
  args: { min: 1 },
  async run(flags, operands) {
    return withStore((store) => {
      const docs: Record<string, unknown>[] = [];
      let failed = false;
      for (const input of operands) {
        try {
          docs.push(inspectDocument(store, input));
        } catch (e) {
          if (!(e instanceof MobyDickError)) throw e;
          failed = true;
          process.stderr.write(`${formatError(e)}\n`);
        }
      }
      const status = writeInspect(docs, flags.format);
      // Docker's exit status when an image is missing
      return failed ? Math.max(1, status) : status;
    });
  },
});
