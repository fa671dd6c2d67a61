// Driver of bench/unpack.sh: unpacks LAYER (a tar file, compressed or not)
// into DEST with moby-dick's unpacker from the library bundle and prints the
// milliseconds it took inside Node (Node's own start is not counted here;
// the script also times the whole process).
import { createReadStream } from 'node:fs';

const [layer, dest] = process.argv.slice(2);
const { unpackLayer } = await import(new URL('../build/lib.mjs', import.meta.url).href);
const t0 = process.hrtime.bigint();
const r = await unpackLayer(createReadStream(layer, { highWaterMark: 1 << 20 }), dest, { layerDigest: 'bench' });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ ms, entries: r.entries, bytes: r.bytes }));
