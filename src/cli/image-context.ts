/** What the image commands share: the store, opened with the layer unpacker. */
import { layerUnpacker } from '../images/unpack/layer-unpacker.js';
import { ImageStore } from '../images/store/image-store.js';
import { commandOf, isRootless, refuseRootlessEngine } from '../rootless/rootless.js';
import { rootlessStoreParts } from '../jail/rootless-store.js';
import { selfCommand } from './self-command.js';

/**
 * The store at $MOBY_DICK_ROOT or /var/lib/moby-dick (an ordinary user's:
 * $XDG_DATA_HOME/moby-dick, its layers unpacked in the user namespace).
 */
export function openStore(): ImageStore {
  // `system prune` is not an ordinary user's yet; `container ls` is as `ps`
  refuseRootlessEngine(commandOf(process.argv.slice(2).filter((a) => !a.startsWith('-'))));
  if (!isRootless()) return new ImageStore({ unpacker: layerUnpacker });
  // an ordinary user's store: layers unpacked and removed in the user namespace
  const { unpacker, removeTree } = rootlessStoreParts(selfCommand(), (m) => void process.stderr.write(`moby-dick: warning: ${m}\n`));
  return new ImageStore({ unpacker, removeTree });
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
