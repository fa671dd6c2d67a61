// The busybox test image (test/helpers/busybox-image.ts: the test rootfs
// packed by umoci) built once under DIR, then loaded into each moby-dick
// store STORE... (MOBY_DICK_ROOT) by the CLI of this build. Needs `make
// build` (it imports build/tsc/test/helpers).
//   node bench/lib/load-busybox.mjs DIR STORE...
import { execFileSync } from 'node:child_process';

const repo = new URL('../..', import.meta.url).pathname;
const [dir, ...stores] = process.argv.slice(2);
const { buildBusyboxImage } = await import(`${repo}build/tsc/test/helpers/busybox-image.js`);
const img = buildBusyboxImage(dir);
for (const store of stores) {
  execFileSync(`${repo}build/moby-dick`, ['load', '-q', '-i', img.archive], { stdio: 'ignore', env: { ...process.env, MOBY_DICK_ROOT: store } });
}
