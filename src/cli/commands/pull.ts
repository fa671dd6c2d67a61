/** `moby-dick pull [OPTIONS] NAME[:TAG|@DIGEST]` */
import { MobyDickError } from '../../errors.js';
import { parsePlatform } from '../../images/platform.js';
import { pullImage } from '../../images/pull.js';
import { parseCommandLine } from '../args.js';
import { withStore } from '../image-context.js';
import { progressView } from '../pull-progress.js';

const OPTIONS = {
  platform: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'insecure-registry': { type: 'string', multiple: true },
  help: { type: 'boolean' },
} as const;

export const PULL_HELP = `Usage: moby-dick pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image from a registry

Options:
      --platform os/arch[/variant]   the platform to pull (default: this machine's)
  -q, --quiet                        print only the image's full name
      --insecure-registry HOST       allow plain HTTP to HOST[:PORT] (loopback always is)
`;

export async function pull(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick pull --help');
  if (flags.help) {
    process.stdout.write(PULL_HELP);
    return 0;
  }
  if (operands.length !== 1) {
    throw new MobyDickError('USAGE', '"moby-dick pull" requires exactly 1 argument', { hint: "see 'moby-dick pull --help'" });
  }
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
}
