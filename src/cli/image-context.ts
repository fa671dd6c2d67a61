/** What the image commands share: the store, opened with the layer unpacker. */
import { layerUnpacker } from '../images/unpack/layer-unpacker.js';
import { ImageStore } from '../images/store/image-store.js';
import { refuseRootlessEngine } from '../rootless/rootless.js';

/**
 * The store at $MOBY_DICK_ROOT or /var/lib/moby-dick. The unpacker is GNU
 * tar until the layer unpacker of src/images/tar* is wired in here.
 */
export function openStore(): ImageStore {
  refuseRootlessEngine(process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'moby-dick');
  return new ImageStore({ unpacker: layerUnpacker });
}

/** Runs FN with the store open, and closes it. */
export async function withStore<T>(fn: (store: ImageStore) => Promise<T> | T): Promise<T> {
  const store = openStore();
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}
