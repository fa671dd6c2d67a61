/** `moby-dick import [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]`: a root filesystem tarball as an image. */
import { createReadStream } from 'node:fs';
import { MobyDickError } from '../../errors.js';
import { importImage } from '../../images/import.js';
import { parseCommandLine } from '../args.js';
import { withStore } from '../image-context.js';

const OPTIONS = {
  message: { type: 'string', short: 'm' },
  change: { type: 'string', short: 'c', multiple: true },
  platform: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const IMPORT_HELP = `Usage: moby-dick import [OPTIONS] FILE|- [REPOSITORY[:TAG]]

Import the contents from a tarball to create a filesystem image

Options:
  -m, --message MESSAGE   set the commit message for the imported image

The tarball (plain, gzip or zstd; - reads STDIN) becomes the image's one
layer; the config gets this machine's os and architecture. Prints the
image ID. --change is not supported.
`;

export async function importCommand(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick import --help');
  if (flags.help) {
    process.stdout.write(IMPORT_HELP);
    return 0;
  }
  if (flags.change !== undefined) {
    throw new MobyDickError('USAGE', '--change is not supported by moby-dick import', { hint: 'import without it' });
  }
  if (flags.platform !== undefined) {
    throw new MobyDickError('USAGE', '--platform is not supported by moby-dick import (the image gets this machine\'s)', {});
  }
  if (operands.length < 1 || operands.length > 2) {
    throw new MobyDickError('USAGE', '"moby-dick import" requires at least 1 and at most 2 arguments', { hint: "see 'moby-dick import --help'" });
  }
  const [file, reference] = operands as [string, string | undefined];
  if (/^https?:\/\//.test(file)) {
    throw new MobyDickError('USAGE', `importing from a URL is not supported: ${file}`, { hint: 'download it, then import the file' });
  }
  const input = file === '-' ? process.stdin : createReadStream(file);
  const result = await withStore((store) =>
    importImage(store, input, {
      source: file,
      ...(reference !== undefined ? { reference } : {}),
      ...(flags.message !== undefined ? { message: flags.message } : {}),
    }),
  );
  process.stdout.write(`${result.id}\n`);
  return 0;
}
