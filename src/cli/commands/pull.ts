/** `moby-dick pull [OPTIONS] NAME[:TAG|@DIGEST]` */
import { parsePlatform } from '../../images/platform.js';
import { pullImage } from '../../images/pull.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';
import { progressView } from '../pull-progress.js';

const OPTIONS = {
  platform: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'insecure-registry': { type: 'string', multiple: true },
} as const;

export const command = defineCommand({
  name: 'pull',
  usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  description: `Download an image from a registry

Options:
      --platform os/arch[/variant]   the platform to pull (default: this machine's)
  -q, --quiet                        print only the image's full name
      --insecure-registry HOST       allow plain HTTP to HOST[:PORT] (loopback always is)`,
  options: OPTIONS,
  args: { min: 1, max: 1 },
  async run(flags, operands) {
    const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
    const view = flags.quiet ? undefined : await progressView();
    try {
      const result = await withStore((store) =>
        pullImage(store, operands[0]!, {
          ...(platform ? { platform } : {}),
          insecureRegistries: flags['insecure-registry'] ?? [],
          ...(view ? { progress: view } : {}),
        }),
      );
      view?.stop();
      process.stdout.write(`${result.reference}\n`);
      return 0;
    } finally {
      view?.stop();
    }
  },
});
