/** `moby-dick images [OPTIONS] [REPOSITORY[:TAG]]`: Docker's table, or JSON lines, or IDs. */
import { MobyDickError } from '../../errors.js';
import { shortId } from '../../images/digest.js';
import { familiarName, parseNormalizedReference, type Reference } from '../../images/reference.js';
import type { ImageRecord } from '../../images/store/image-store.js';
import { createdSeconds, IMAGE_LIST_FILTERS, type ImageFilter, imageFilter } from '../../images/image-filters.js';
import { imageLabels } from '../../images/inspect.js';
import { getImage } from '../../images/lookup.js';
import { filtersFromOptions } from '../../util/filters.js';
import { listedImages } from '../../build/cache.js';
import { defineCommand } from '../command.js';
import { goTimeString, humanDuration, humanSize, table } from '../../util/human-units.js';
import { withStore } from '../image-context.js';

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  all: { type: 'boolean', short: 'a' },
  digests: { type: 'boolean' },
  'no-trunc': { type: 'boolean' },
  format: { type: 'string' },
  filter: { type: 'string', short: 'f', multiple: true },
} as const;

export interface ImageRow {
  repository: string;
  tag: string;
  digest: string;
  image: ImageRecord;
}

/** One row per tag, as Docker lists them; <none> for an image with no tag. FILTERS: `--filter`'s (images/image-filters.ts). */
export function imageRows(images: readonly ImageRecord[], filter?: Reference, filters?: ImageFilter): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    if (filters && !filters.image(image)) continue;
    const digestOf = (repo: string): string =>
      image.repoDigests.map((d) => parseNormalizedReference(d)).find((r) => familiarName(r) === repo)?.digest ?? '<none>';
    const tagged = image.tags.map((t) => parseNormalizedReference(t));
    for (const r of tagged) {
      const repository = familiarName(r);
      rows.push({ repository, tag: r.tag ?? '<none>', digest: digestOf(repository), image });
    }
    if (tagged.length === 0) {
      const byDigest = image.repoDigests.map((d) => parseNormalizedReference(d));
      if (byDigest.length > 0) for (const r of byDigest) rows.push({ repository: familiarName(r), tag: '<none>', digest: r.digest ?? '<none>', image });
      else rows.push({ repository: '<none>', tag: '<none>', digest: '<none>', image });
    }
  }
  const wanted = rows.filter((r) => {
    if (filters?.byReference && !(r.repository !== '<none>' && filters.name(r.tag !== '<none>' ? `${r.repository}:${r.tag}` : r.digest !== '<none>' ? `${r.repository}@${r.digest}` : r.repository))) return false;
    if (!filter) return true;
    if (r.repository !== familiarName(filter)) return false;
    return filter.tag === undefined || filter.tag === r.tag;
  });
  return wanted.sort((a, b) => (b.image.created ?? '').localeCompare(a.image.created ?? '') || a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag));
}

/** Go's JSON escapes <, > and & (so "<none>" reads "\u003cnone\u003e"). */
const goJson = (v: unknown): string =>
  JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

export const command = defineCommand({
  name: 'images',
  usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
  summary: 'List images',
  description: `List images

Options:
  -a, --all             show all images (by default the intermediate images of builds are hidden)
      --digests         show digests
  -f, --filter FILTER   dangling=true|false, label=KEY[=VALUE], reference=PATTERN
                        (a glob: busy*, */app:v?), before=IMAGE, since=IMAGE
      --format json     one JSON object per line, as Docker prints them
      --no-trunc        do not truncate IDs
  -q, --quiet           only image IDs`,
  options: OPTIONS,
  args: { min: 0, max: 1 },
  async run(flags, operands) {
    if (flags.format !== undefined && flags.format !== 'json' && flags.format !== 'table') {
      throw new MobyDickError('USAGE', `unsupported --format ${flags.format}: use json or table`, { hint: "see 'moby-dick images --help'" });
    }
    const filter = operands[0] === undefined ? undefined : parseNormalizedReference(operands[0]);
    const rows = await withStore((store) => {
      const filters = filtersFromOptions(flags.filter ?? [], IMAGE_LIST_FILTERS);
      const f = imageFilter(filters, (i) => imageLabels(store, i), (ref) => createdSeconds(getImage(store, ref).image.created));
      return imageRows(flags.all ? store.listImages() : listedImages(store), filter, f);
    });
    const now = Date.now();
    const id = (image: ImageRecord): string => (flags['no-trunc'] ? image.id : shortId(image.id));
    const since = (image: ImageRecord): string => (image.created ? `${humanDuration(now - Date.parse(image.created))} ago` : 'N/A');
    if (flags.quiet) {
      const seen = new Set<string>();
      for (const r of rows) {
        if (seen.has(r.image.id)) continue;
        seen.add(r.image.id);
        process.stdout.write(`${id(r.image)}\n`);
      }
      return 0;
    }
    if (flags.format === 'json') {
      for (const r of rows) {
        process.stdout.write(
          goJson({
            Containers: 'N/A',
            CreatedAt: r.image.created ? goTimeString(new Date(r.image.created)) : '',
            CreatedSince: since(r.image),
            Digest: r.digest,
            ID: id(r.image),
            Repository: r.repository,
            SharedSize: 'N/A',
            Size: humanSize(r.image.size),
            Tag: r.tag,
            UniqueSize: 'N/A',
            VirtualSize: humanSize(r.image.size, 4),
          }) + '\n',
        );
      }
      return 0;
    }
    const head = flags.digests ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
    const body = rows.map((r) =>
      flags.digests
        ? [r.repository, r.tag, r.digest, id(r.image), since(r.image), humanSize(r.image.size)]
        : [r.repository, r.tag, id(r.image), since(r.image), humanSize(r.image.size)],
    );
    process.stdout.write(table([head, ...body]));
    return 0;
  },
});

