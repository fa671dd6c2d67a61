/**
 * `moby-dick/unpack`: only the layer unpacker, for programs that unpack
 * layers and nothing else. A bundle of its own (build/unpack.mjs, about
 * 50 KB against the whole library's 400 KB): importing it takes about
 * 20 ms less (the library's import compiles the rest of moby-dick, loads
 * node:crypto and the others, and builds its zod schemas), which is 3–4 %
 * of unpacking a 250 MiB layer in a process of its own (bench/README.md,
 * "Layer unpacking"). The same functions as the library's.
 */
export { type UnpackOptions, type UnpackResult, unpackLayer, unpackLayerFile } from './images/unpack/unpack-layer.js';
