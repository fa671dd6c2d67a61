/** `moby-dick load [-i FILE] [-q]`: images from a docker-archive or OCI layout tarball. */
import { createReadStream } from 'node:fs';
import { MobyDickError } from '../../errors.js';
import { loadImages } from '../../images/archive/load.js';
import { familiarString, parseNormalizedReference } from '../../images/reference.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';

const OPTIONS = {
  input: { type: 'string', short: 'i' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const command = defineCommand({
  name: 'load',
  usage: 'load [OPTIONS]',
  summary: 'Load images from a tar archive or STDIN',
  description: `Load images from a tar archive or STDIN: a docker-archive (docker save,
skopeo copy ... docker-archive:) or an OCI image layout tarball (skopeo
copy ... oci-archive:), plain, gzip or zstd

Options:
  -i, --input FILE   read from a tar archive file, instead of STDIN
  -q, --quiet        suppress the load output (accepted: only the
                     "Loaded image" lines are printed anyway)

Every blob is checked against its digest and every layer against its diff
ID; a corrupt or truncated archive loads nothing. In an OCI layout, the
io.containerd.image.name annotation, else an org.opencontainers.image.ref.name
that is a reference with a repository (busybox:1), names the image; a bare
tag there (latest) names no repository, and the image is loaded untagged.`,
  options: OPTIONS,
  args: { min: 0, max: 0 },
  async run(flags) {
    const file = flags.input;
    if (file === undefined && process.stdin.isTTY) {
      throw new MobyDickError('USAGE', 'requested load from stdin, but stdin is empty', { hint: 'give a file with -i, or redirect stdin' });
    }
    const input = file === undefined ? process.stdin : createReadStream(file);
    const loaded = await withStore((store) => loadImages(store, input, { source: file ?? 'stdin' }));
    const familiar = (name: string): string => familiarString(parseNormalizedReference(name));
    let text = '';
    for (const image of loaded) {
      for (const m of image.moved) {
        text += `The image ${familiar(m.tag)} already exists, renaming the old one with ID ${m.from} to empty string\n`;
      }
      if (image.tags.length === 0) text += `Loaded image ID: ${image.id}\n`;
      for (const t of image.tags) text += `Loaded image: ${familiar(t)}\n`;
    }
    process.stdout.write(text);
    return 0;
  },
});
