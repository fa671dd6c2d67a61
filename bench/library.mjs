// Containers per second, started and removed in-process through the library's
// engine (openEngine, build/lib.mjs): each is `run` of the busybox test image
// with the engine's defaults and network none, command `true`, then wait and
// remove; CONCURRENCY of them under way at once. Warm-up containers first.
//   node bench/library.mjs [COUNT=200] [CONCURRENCY=4]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/library.mjs 200 4   (then bench/cpuprofile.mjs)
// Needs root and `make build` (it imports build/tsc/test/helpers for the image).
// Everything it makes lives under one /var/tmp/mdk-test-bench-lib-* directory,
// removed at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const count = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 4);
const work = mkdtempSync('/var/tmp/mdk-test-bench-lib-');
process.env.MOBY_DICK_CGROUP_PARENT ??= 'mdk-test-bench-lib';

const { openEngine } = await import(`${repo}build/lib.mjs`);
const { buildBusyboxImage } = await import(`${repo}build/tsc/test/helpers/busybox-image.js`);

console.log(`load before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
const engine = await openEngine({ root: join(work, 'store') });
try {
  await engine.load(buildBusyboxImage(join(work, 'image')).archive);
  const one = async () => {
    const c = await engine.run({ image: 'busybox', command: ['true'], network: 'none' });
    const { exitCode } = await c.wait();
    if (exitCode !== 0) throw new Error(`container ${c.id} exited ${exitCode}`);
    engine.remove(c.id);
  };
  const batch = async (n) => {
    let next = 0;
    const worker = async () => {
      while (next++ < n) await one();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  };
  await batch(Math.min(20, count));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await batch(count);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${count} containers, ${concurrency} at once: ${(ms / 1000).toFixed(2)} s, ${((count * 1000) / ms).toFixed(1)} containers/s`);
  console.log(`this process's CPU: ${((cpu.user + cpu.system) / 1000 / count).toFixed(2)} ms per container (user ${(cpu.user / 1000 / count).toFixed(2)}, system ${(cpu.system / 1000 / count).toFixed(2)})`);
  if (engine.list().length !== 0) throw new Error('containers left in the store');
} finally {
  await engine.close();
  rmSync(work, { recursive: true, force: true });
}
