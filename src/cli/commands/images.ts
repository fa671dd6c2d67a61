/** `moby-dick images [OPTIONS] [REPOSITORY[:TAG]]`: Docker's table, or JSON lines, or IDs. */
import { shortId } from '../../images/digest.js';
import { familiarName, parseNormalizedReference, type Reference } from '../../images/reference.js';
import type { ImageRecord } from '../../images/store/image-store.js';
import { listedImages } from '../../build/cache.js';
import { defineCommand } from '../command.js';
import { createdSeconds, IMAGE_LIST_FILTERS, type ImageFilter, imageFilter } from '../../images/image-filters.js';
import { imageLabels } from '../../images/inspect.js';
import { getImage } from '../../images/lookup.js';
import { filtersFromOptions } from '../../util/filters.js';
import { formatRows, formatterRow } from '../go-template.js';
import { goTimeString, humanDuration, humanSize } from '../../util/human-units.js';
import { withStore } from '../image-context.js';

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  all: { type: 'boolean', short: 'a' },
  digests: { type: 'boolean' },
  'no-trunc': { type: 'boolean' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
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

/** Docker's default tables of images and their column names (cli/command/formatter/image.go). */
const IMAGES_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const IMAGES_TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const IMAGES_HEADERS = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

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
      --format FORMAT   table (default), json (one object per line), a Go template
                        of .Repository .Tag .ID .Digest .CreatedSince .CreatedAt .Size
                        .Containers; "table TEMPLATE" adds Docker's header
      --no-trunc        do not truncate IDs
  -q, --quiet           only image IDs`,
  options: OPTIONS,
  args: { min: 0, max: 1 },
  async run(flags, operands) {
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
    const rowsOut = rows.map((r) =>
      formatterRow('*formatter.imageContext', {
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
      }),
    );
    // Docker: --digests with a table of one's own adds the digest column at the end
    let format = flags.format ?? 'table';
    if (flags.digests && format.startsWith('table') && format !== 'table' && !format.includes('{{.Digest}}')) format += '\t{{.Digest}}';
    process.stdout.write(formatRows(format, rowsOut, { headers: IMAGES_HEADERS, table: flags.digests ? IMAGES_TABLE_DIGESTS : IMAGES_TABLE }));
    return 0;
  },
});

