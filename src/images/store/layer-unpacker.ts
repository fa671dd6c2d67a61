/**
 * How the store unpacks a layer: a function it is given, so that the store
 * does not depend on a tar implementation (tests give a stand-in; the real
 * one is unpack/layer-unpacker.ts's `layerUnpacker`, handed over by whoever
 * opens the store). The store hands it the plain (already decompressed) tar
 * stream and an empty directory; it hashes the same stream itself to verify
 * the diff ID, and discards the directory if either fails. The unpacker may
 * stop reading at the end-of-archive blocks.
 *
 * An unpacker may also take the blob file itself (fromFile): the store then
 * calls that instead, and hashes what OBSERVE is shown. The real one does:
 * an uncompressed layer read from its file is unpacked faster than from a
 * stream (unpack-layer.ts, unpackLayerFile).
 */
import type { Readable } from 'node:stream';

export interface LayerUnpackOptions {
  /** the layer's diff ID, for messages */
  diffId: string;
}

export interface LayerFileUnpackOptions extends LayerUnpackOptions {
  /** must be shown every byte of the uncompressed tar, in order, to the end of the file */
  observe: (chunk: Buffer) => void;
}

export interface LayerUnpacker {
  (tar: Readable, destDir: string, opts: LayerUnpackOptions): Promise<void>;
  /** the layer blob in the file PATH (compressed or not) */
  fromFile?: (path: string, destDir: string, opts: LayerFileUnpackOptions) => Promise<void>;
}
