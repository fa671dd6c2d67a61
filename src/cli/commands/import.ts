/** `moby-dick import [-m MESSAGE] FILE|URL|- [REPOSITORY[:TAG]]`: a root filesystem tarball as an image. */
import { createReadStream } from 'node:fs';
import { MobyDickError } from '../../errors.js';
import { importImage } from '../../images/archive/import.js';
import { fetchImportTarball, importUrl, isImportUrl } from '../../images/import-url.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';

const OPTIONS = {
  message: { type: 'string', short: 'm' },
  change: { type: 'string', short: 'c', multiple: true },
  platform: { type: 'string' },
} as const;

export const command = defineCommand({
  name: 'import',
  usage: 'import [OPTIONS] FILE|URL|- [REPOSITORY[:TAG]]',
  summary: 'Import the contents from a tarball to create a filesystem image',
  description: `Import the contents from a tarball to create a filesystem image

Options:
  -m, --message MESSAGE   set the commit message for the imported image
  -c, --change LINE       refused: Dockerfile instructions are not applied (yet)
      --platform P        refused: the image gets this machine's platform

The tarball (plain, gzip or zstd; - reads STDIN; an http:// or https://
URL is downloaded) becomes the image's one
layer; the config gets this machine's os and architecture. Prints the
image ID. --change is not supported.`,
  options: OPTIONS,
  args: { min: 1, max: 2 },
  async run(flags, operands) {
    if (flags.change !== undefined) {
      throw new MobyDickError('USAGE', '--change is not supported by moby-dick import', { hint: 'import without it' });
    }
    if (flags.platform !== undefined) {
      throw new MobyDickError('USAGE', '--platform is not supported by moby-dick import (the image gets this machine\'s)', {});
    }
    const [file, reference] = operands as [string, string | undefined];
    const input = file === '-' ? process.stdin : isImportUrl(file) ? (await fetchImportTarball(importUrl(file))).body : createReadStream(file);
    const result = await withStore((store) =>
      importImage(store, input, {
        source: file,
        ...(reference !== undefined ? { reference } : {}),
        ...(flags.message !== undefined ? { message: flags.message } : {}),
      }),
    );
    process.stdout.write(`${result.id}\n`);
    return 0;
  },
});
