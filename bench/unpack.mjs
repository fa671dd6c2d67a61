// Driver of bench/unpack.sh: unpacks LAYER (a tar file, compressed or not)
// into DEST with moby-dick's unpacker from the library bundle, the way the
// image store does (unpackLayerFile), and prints the milliseconds it took
// inside Node (Node's own start is not counted here; the script also times
// the whole process). STREAM=1: through unpackLayer(createReadStream(...)).
import { createReadStream } from 'node:fs';

const [layer, dest] = process.argv.slice(2);
const { unpackLayer, unpackLayerFile } = await import(new URL('../build/lib.mjs', import.meta.url).href);
const t0 = process.hrtime.bigint();
const opts = { layerDigest: 'bench' };
const r = process.env.STREAM === '1'
  ? await unpackLayer(createReadStream(layer, { highWaterMark: 1 << 20 }), dest, opts)
  : await unpackLayerFile(layer, dest, opts);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ ms, entries: r.entries, bytes: r.bytes }));
