/** `moby-dick push NAME[:TAG]` */
import { pushImage } from '../../images/push.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';
import { progressView } from '../pull-progress.js';

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  'insecure-registry': { type: 'string', multiple: true },
} as const;

export const command = defineCommand({
  name: 'push',
  usage: 'push [OPTIONS] NAME[:TAG]',
  summary: 'Upload an image to a registry',
  description: `Upload an image to a registry (blobs it has already are not sent again)

Options:
  -q, --quiet                   print nothing but errors
      --insecure-registry HOST  allow plain HTTP to HOST[:PORT] (loopback always is)`,
  options: OPTIONS,
  args: { min: 1, max: 1 },
  async run(flags, operands) {
    const view = flags.quiet ? undefined : await progressView();
    try {
      await withStore((store) =>
        pushImage(store, operands[0]!, { insecureRegistries: flags['insecure-registry'] ?? [], ...(view ? { progress: view } : {}) }),
      );
      return 0;
    } finally {
      view?.stop();
    }
  },
});
