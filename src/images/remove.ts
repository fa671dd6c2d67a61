/**
 * Removing images as `docker rmi` does: a name only untags while the image
 * has other tags; the last tag (or the ID) removes the image, and then its
 * layers and blobs that no other image uses. An image that a container uses,
 * or (by ID) one with several tags, needs force.
 */
import { MobyDickError } from '../errors.js';
import { shortId } from './digest.js';
import { getImage } from './lookup.js';
import { familiarString, parseNormalizedReference } from './reference.js';
import type { GcResult, ImageRecord, ImageStore } from './store/image-store.js';

export interface RemoveEvent {
  untagged?: string;
  deleted?: string;
}

const familiar = (name: string): string => familiarString(parseNormalizedReference(name));

export function removeImage(store: ImageStore, input: string, force: boolean): RemoveEvent[] {
  const events: RemoveEvent[] = [];
  let imageId = '';
  store.inTransaction(() => {
    const { image, name } = getImage(store, input);
    imageId = image.id;
    const short = shortId(image.id);
    const users = store.containersUsing(image.id);
    if (name !== undefined) {
      const last = image.tags.filter((t) => t !== name).length === 0;
      if (users.length > 0 && !force && last) {
        throw new MobyDickError('IMAGE', `conflict: unable to remove repository reference "${input}" (must force) - container ${users[0]} is using its referenced image ${short}`, {
          image: input,
          hint: 'remove the container first, or use -f',
        });
      }
      store.untag(name);
      events.push({ untagged: familiar(name) });
      if (!last) return;
    } else if (!force) {
      if (image.tags.length > 1) {
        throw new MobyDickError('IMAGE', `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`, {
          image: input,
          hint: 'use -f, or remove the tags one by one',
        });
      }
      if (users.length > 0) {
        throw new MobyDickError('IMAGE', `conflict: unable to delete ${short} (must be forced) - image is being used by container ${users[0]}`, {
          image: input,
          hint: 'remove the container first, or use -f',
        });
      }
    }
    for (const t of [...image.tags, ...image.repoDigests]) {
      if (t === name) continue;
      store.untag(t);
      events.push({ untagged: familiar(t) });
    }
    store.deleteImage(image.id);
    events.push({ deleted: image.id });
  });
  for (const e of events) {
    if (e.untagged !== undefined) store.events.record('image', 'untag', imageId, { name: e.untagged });
    else store.events.record('image', 'delete', imageId, { name: imageId });
  }
  return events;
}

export interface PruneResult {
  deleted: string[];
  gc: GcResult;
}

/**
 * Removes dangling images (no tag), or with ALL every image no container
 * uses, except those KEEP keeps (the API's label and until filters); then
 * collects garbage.
 */
export function pruneImages(store: ImageStore, all: boolean, keep: (image: ImageRecord) => boolean = () => false): PruneResult {
  const deleted: string[] = [];
  store.inTransaction(() => {
    for (const image of store.listImages()) {
      if (!all && image.tags.length > 0) continue;
      if (store.containersUsing(image.id).length > 0 || keep(image)) continue;
      store.deleteImage(image.id);
      deleted.push(image.id);
    }
  });
  for (const id of deleted) store.events.record('image', 'delete', id, { name: id });
  return { deleted, gc: store.gc() };
}
