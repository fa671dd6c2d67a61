/**
 * Finding a local image the way Docker does: a full ID (sha256:<hex> or
 * <hex>), a tag or digest reference (busybox, busybox:1, x@sha256:...), or
 * a unique prefix of an ID.
 */
import { MobyDickError } from '../errors.js';
import { looksLikeImageId, parseNormalizedReference, referenceString, withDefaultTag } from './reference.js';
import type { ImageRecord, ImageStore } from './store/image-store.js';

export interface Found {
  image: ImageRecord;
  /** the full name that found it (docker.io/library/busybox:latest), undefined when found by ID */
  name?: string;
}

export function noSuchImage(input: string): MobyDickError {
  return new MobyDickError('IMAGE', `No such image: ${input}`, { image: input, subject: input });
}

export function findImage(store: ImageStore, input: string): Found | undefined {
  const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(input);
  if (full) {
    const image = store.image(`sha256:${full[1]}`);
    if (image) return { image };
  }
  let parsed;
  try {
    parsed = withDefaultTag(parseNormalizedReference(input));
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    const name = referenceString(parsed);
    const image = parsed.digest
      ? store.imageByRepoDigest(referenceString({ domain: parsed.domain, path: parsed.path, digest: parsed.digest }))
      : store.imageByTag(name);
    if (image) return { image, name };
  }
  if (looksLikeImageId(input)) {
    const hex = input.replace(/^sha256:/, '');
    const ids = store.imagesByIdPrefix(hex);
    if (ids.length > 1) {
      throw new MobyDickError('IMAGE', `ambiguous image ID prefix ${input}: ${ids.length} images match`, {
        image: input,
        hint: 'give more characters of the ID',
      });
    }
    const image = ids[0] === undefined ? undefined : store.image(ids[0]);
    if (image) return { image };
  }
  if (!parsed && !looksLikeImageId(input)) parseNormalizedReference(input); // throws Docker's words
  return undefined;
}

export function getImage(store: ImageStore, input: string): Found {
  const f = findImage(store, input);
  if (!f) throw noSuchImage(input);
  return f;
}
