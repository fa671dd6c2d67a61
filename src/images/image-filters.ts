/**
 * Docker's filters of an image list, for `images --filter` and GET
 * /images/json: dangling (no tag), label (all given), before and since
 * (created before or after an image's), and reference (a glob matched
 * against a tag's familiar name, whole or without its tag: Docker's
 * FamiliarMatch), which keeps the tags that match.
 */
import { type Filters, boolFilter, globRegExp, labelsMatch } from '../util/filters.js';
import { familiarName, familiarString, parseNormalizedReference } from './reference.js';
import type { ImageRecord } from './store/image-store.js';

export const IMAGE_LIST_FILTERS = ['before', 'dangling', 'label', 'reference', 'since'] as const;

/** Whether the familiar reference NAME matches a reference filter PATTERN: the whole string, or its name alone (Docker's FamiliarMatch). */
export function referenceMatches(pattern: string, name: string): boolean {
  const re = globRegExp(pattern);
  const ref = parseNormalizedReference(name);
  return re.test(familiarString(ref)) || re.test(familiarName(ref));
}

/** Seconds since the epoch of an image's creation time (0 when it has none). */
export function createdSeconds(iso: string | undefined): number {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

export interface ImageFilter {
  /** whether the image passes dangling, label, before and since */
  image(image: ImageRecord): boolean;
  /** whether a tag or digest reference of a passing image is kept (the reference filter; every one without it) */
  name(name: string): boolean;
  /** whether a reference filter is given (an image none of whose names is kept is left out then) */
  readonly byReference: boolean;
}

/**
 * FILTERS as tests on images: LABELSOF gives an image's labels, CREATEDOF
 * the creation time (seconds) of the image a before/since filter names
 * (it throws for one that does not exist).
 */
export function imageFilter(filters: Filters, labelsOf: (i: ImageRecord) => Record<string, string>, createdOf: (ref: string) => number): ImageFilter {
  const dangling = boolFilter(filters, 'dangling');
  const labels = filters.get('label') ?? [];
  const patterns = filters.get('reference') ?? [];
  const before = filters.get('before')?.map(createdOf);
  const since = filters.get('since')?.map(createdOf);
  return {
    image(image) {
      if (dangling !== undefined && dangling !== (image.tags.length === 0)) return false;
      const created = createdSeconds(image.created);
      if (before && !before.every((t) => created < t)) return false;
      if (since && !since.every((t) => created > t)) return false;
      return labels.length === 0 || labelsMatch(labelsOf(image), labels);
    },
    name: (n) => patterns.length === 0 || patterns.some((p) => referenceMatches(p, n)),
    byReference: patterns.length > 0,
  };
}
