// Driver of bench/unpack.sh: unpacks LAYER (a tar file, compressed or not)
// into DEST with moby-dick's unpacker, the way the image store does
// (unpackLayerFile), from moby-dick/unpack (build/unpack.mjs, the unpacker
// alone), and prints the milliseconds it took inside Node (Node's own start
// is not counted here; the script also times the whole process).
// LIB=1: from the whole library bundle (build/lib.mjs) instead;
// STREAM=1: through unpackLayer(createReadStream(...)), as before.
import { createReadStream } from 'node:fs';

const [layer, dest] = process.argv.slice(2);
const bundle = process.env.LIB === '1' ? '../build/lib.mjs' : '../build/unpack.mjs';
const { unpackLayer, unpackLayerFile } = await import(new URL(bundle, import.meta.url).href);
const t0 = process.hrtime.bigint();
const opts = { layerDigest: 'bench' };
const r = process.env.STREAM === '1'
  ? await unpackLayer(createReadStream(layer, { highWaterMark: 1 << 20 }), dest, opts)
  : await unpackLayerFile(layer, dest, opts);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ ms, entries: r.entries, bytes: r.bytes }));
