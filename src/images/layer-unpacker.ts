/**
 * How the store unpacks a layer: a function it is given, so that the store
 * does not depend on a tar implementation (tests may give a stand-in). The
 * store hands it the plain (already decompressed) tar stream and an empty
 * directory; it hashes the same stream itself to verify the diff ID, and
 * discards the directory if either fails. The unpacker may stop reading at
 * the end-of-archive blocks.
 */
import type { Readable } from 'node:stream';
import { unpackLayer } from './unpack-layer.js';

export interface LayerUnpackOptions {
  /** the layer's diff ID, for messages */
  diffId: string;
}

export type LayerUnpacker = (tar: Readable, destDir: string, opts: LayerUnpackOptions) => Promise<void>;

/** The real one: exact and safe (unpack-layer.ts), whiteouts as overlayfs reads them. */
export const layerUnpacker: LayerUnpacker = async (tar, destDir, opts) => {
  await unpackLayer(tar, destDir, { layerDigest: opts.diffId });
};
