/** `tag`: names an image (the CLI's `tag` and POST /images/{name}/tag), and records the image's `tag` event. */
import { familiarString, type Reference, referenceString } from './reference.js';
import type { ImageStore } from './store/image-store.js';

export function tagImage(store: ImageStore, imageId: string, target: Reference): void {
  store.tag(imageId, referenceString(target));
  store.events.record('image', 'tag', imageId, { name: familiarString(target) });
}
