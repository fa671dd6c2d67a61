/** `moby-dick rmi [-f] IMAGE...` (and `image rm`) */
import { MobyDickError } from '../../errors.js';
import { removeImage } from '../../images/remove.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';
import { formatError } from '../report-error.js';

const OPTIONS = { force: { type: 'boolean', short: 'f' }, 'no-prune': { type: 'boolean' } } as const;

export const command = defineCommand({
  name: 'rmi',
  usage: 'rmi [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Remove one or more images',
  description: `Remove one or more images

Options:
  -f, --force      remove the image even if a container uses it or it has several tags
      --no-prune   keep its untagged parents (a build's intermediate images), its
                   unused layers and blobs

An image that other images were made from (by build or commit) is not
removed: by ID that is an error, by its last name it is only untagged.
Otherwise its untagged parents that nothing else uses go with it.`,
  options: OPTIONS,
  args: { min: 1 },
  async run(flags, operands) {
    return withStore((store) => {
      let failed = false;
      let removed = false;
      for (const input of operands) {
        try {
          for (const e of removeImage(store, input, flags.force === true, flags['no-prune'] !== true)) {
            if (e.untagged) process.stdout.write(`Untagged: ${e.untagged}\n`);
            if (e.deleted) {
              removed = true;
              process.stdout.write(`Deleted: ${e.deleted}\n`);
            }
          }
        } catch (e) {
          if (!(e instanceof MobyDickError)) throw e;
          failed = true;
          process.stderr.write(`${formatError(e)}\n`);
        }
      }
      if (removed && !flags['no-prune']) store.gc();
      // Docker's status when an image could not be removed
      return failed ? 1 : 0;
    });
  },
});
