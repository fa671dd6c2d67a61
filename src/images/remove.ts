/**
 * Removing images as `docker rmi` does: a name only untags while the image
 * has other tags; the last tag (or the ID) removes the image, and then its
 * layers and blobs that no other image uses. An image that a container uses,
 * or (by ID) one with several tags, needs force.
 *
 * Images know their parent (the image a build step or a commit made them
 * from, store.parentOf), and Docker's rules for them hold:
 * - an image with children is not deleted: by ID that is a conflict that
 *   force does not lift ("image has dependent child images"); by its last
 *   name it is untagged only, and stays for its children;
 * - a deleted image takes its parents with it (unless PRUNE is off: rmi
 *   --no-prune), one after the other, as long as each is dangling: no tag,
 *   no other child, no container. A build's intermediate images go with the
 *   image they led to;
 * - prune looks at the images without children (Docker's heads) only, and
 *   again after each pass, so a dangling chain goes from its end.
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

export function removeImage(store: ImageStore, input: string, force: boolean, prune = true): RemoveEvent[] {
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
      // its children still need it: untagged only (Docker says nothing more)
      if (store.childrenOf(image.id).length > 0) return;
    } else if (store.childrenOf(image.id).length > 0) {
      throw new MobyDickError('IMAGE', `conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`, {
        image: input,
        hint: 'remove the images made from it first (images -a, image inspect shows the parent)',
      });
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
    const parent = store.parentOf(image.id);
    store.deleteImage(image.id);
    events.push({ deleted: image.id });
    if (prune) for (const id of danglingParents(store, parent)) events.push({ deleted: id });
  });
  for (const e of events) {
    if (e.untagged !== undefined) store.events.record('image', 'untag', imageId, { name: e.untagged });
    else store.events.record('image', 'delete', e.deleted!, { name: e.deleted! });
  }
  return events;
}

/** whether nothing needs IMAGE: no tag or digest, no child, no container */
function dangling(store: ImageStore, image: ImageRecord): boolean {
  return image.tags.length === 0 && image.repoDigests.length === 0 && store.childrenOf(image.id).length === 0 && store.containersUsing(image.id).length === 0;
}

/** Deletes PARENT and the parents above it while each is dangling; their IDs. */
function danglingParents(store: ImageStore, parent: string | undefined): string[] {
  const deleted: string[] = [];
  for (let id = parent; id !== undefined; ) {
    const image = store.image(id);
    if (!image || !dangling(store, image)) break;
    const next = store.parentOf(id);
    store.deleteImage(id);
    deleted.push(id);
    id = next;
  }
  return deleted;
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
    // the heads (images without children) each pass: a chain goes from its end
    for (let more = true; more; ) {
      more = false;
      for (const image of store.listImages()) {
        if (!all && image.tags.length > 0) continue;
        if (store.childrenOf(image.id).length > 0) continue;
        if (store.containersUsing(image.id).length > 0 || keep(image)) continue;
        store.deleteImage(image.id);
        deleted.push(image.id);
        more = true;
      }
    }
  });
  for (const id of deleted) store.events.record('image', 'delete', id, { name: id });
  return { deleted, gc: store.gc() };
}
