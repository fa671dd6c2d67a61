/** `moby-dick image inspect [--format TEMPLATE] IMAGE...` */
import { MobyDickError } from '../../errors.js';
import { getImage } from '../../images/lookup.js';
import { familiarString, parseNormalizedReference } from '../../images/reference.js';
import type { ImageStore } from '../../images/store/image-store.js';
import { defineCommand } from '../command.js';
import { inspectOutput } from '../go-template.js';
import { withStore } from '../image-context.js';
import { formatError } from '../report-error.js';

const OPTIONS = { format: { type: 'string', short: 'f' } } as const;

/** Docker's inspect document, from the store's record and the config blob. */
export function inspectDocument(store: ImageStore, input: string): Record<string, unknown> {
  const { image } = getImage(store, input);
  const config = JSON.parse(store.blobs.read(image.id).toString('utf8')) as Record<string, unknown>;
  const rootfs = (config.rootfs ?? {}) as { diff_ids?: string[] };
  const short = (n: string): string => familiarString(parseNormalizedReference(n));
  return {
    Id: image.id,
    RepoTags: image.tags.map(short),
    RepoDigests: image.repoDigests.map(short),
    Parent: '',
    Comment: (config.comment as string | undefined) ?? '',
    Created: image.created ?? '0001-01-01T00:00:00Z',
    DockerVersion: (config.docker_version as string | undefined) ?? '',
    Author: (config.author as string | undefined) ?? '',
    Config: config.config ?? null,
    Architecture: image.architecture,
    ...(image.variant ? { Variant: image.variant } : {}),
    Os: image.os,
    Size: image.size,
    GraphDriver: {
      Data: { LowerDir: [...image.layers].reverse().map((c) => store.layerDirs.diffPath(c)).join(':') },
      Name: 'moby-dick',
    },
    RootFS: { Type: 'layers', Layers: rootfs.diff_ids ?? [] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export const command = defineCommand({
  name: 'image inspect',
  usage: 'image inspect [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Display detailed information on one or more images',
  description: `Display detailed information on one or more images

Options:
  -f, --format TEMPLATE   {{.Field}} or {{json .Field}} instead of the JSON`,
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
      process.stdout.write(inspectOutput(docs, flags.format));
      // Docker's exit status when an image is missing
      return failed ? 1 : 0;
    });
  },
});
