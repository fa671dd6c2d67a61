/**
 * The real layer unpacker the store is handed (its type is the store's:
 * store/layer-unpacker.ts; this one fits it without importing it, so that
 * neither part imports the other): exact and safe (unpack-layer.ts),
 * whiteouts as overlayfs reads them, and an uncompressed blob file mapped
 * rather than streamed (fromFile).
 */
import type { Readable } from 'node:stream';
import { unpackLayer, unpackLayerFile } from './unpack-layer.js';

export const layerUnpacker = Object.assign(
  async (tar: Readable, destDir: string, opts: { diffId: string }): Promise<void> => {
    await unpackLayer(tar, destDir, { layerDigest: opts.diffId });
  },
  {
    fromFile: async (path: string, destDir: string, opts: { diffId: string; observe: (chunk: Buffer) => void }): Promise<void> => {
      await unpackLayerFile(path, destDir, { layerDigest: opts.diffId, observe: opts.observe });
    },
  },
);
