/** `moby-dick push NAME[:TAG]` */
import { MobyDickError } from '../../errors.js';
import { pushImage } from '../../images/push.js';
import { parseCommandLine } from '../args.js';
import { withStore } from '../image-context.js';
import { progressView } from '../pull-progress.js';

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  'insecure-registry': { type: 'string', multiple: true },
  help: { type: 'boolean' },
} as const;

export const PUSH_HELP = `Usage: moby-dick push [OPTIONS] NAME[:TAG]

Upload an image to a registry (blobs it has already are not sent again)

Options:
  -q, --quiet                   print nothing but errors
      --insecure-registry HOST  allow plain HTTP to HOST[:PORT] (loopback always is)
`;

export async function push(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick push --help');
  if (flags.help) {
    process.stdout.write(PUSH_HELP);
    return 0;
  }
  if (operands.length !== 1) {
    throw new MobyDickError('USAGE', '"moby-dick push" requires exactly 1 argument', { hint: "see 'moby-dick push --help'" });
  }
  const view = flags.quiet ? undefined : await progressView();
  try {
    await withStore((store) =>
      pushImage(store, operands[0]!, { insecureRegistries: flags['insecure-registry'] ?? [], ...(view ? { progress: view } : {}) }),
    );
    return 0;
  } finally {
    view?.stop();
  }
}
