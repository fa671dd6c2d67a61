// Two client-side timings of an Engine API endpoint (bench/api.sh), with
// the SDKs users drive it with; each engine on its own socket:
//  - hundred: 100 containers created and removed (dockerode: create with
//    `--network none`, then remove), one after the other; ms in all;
//  - testcontainers: a GenericContainer (busybox printing a line, started
//    with a log-message wait strategy) to ready and stopped, ROUNDS times;
//    the median ms to ready. Ryuk is off (it would pull its image).
// usage: node bench/lib/api-clients.mjs REPO ROUNDS NAME=SOCKET...
const [repo, roundsArg, ...engines] = process.argv.slice(2);
const rounds = Number(roundsArg);
const { createRequire } = await import('node:module');
const require = createRequire(`${repo}/package.json`);
const Docker = require('dockerode');
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function hundred(sock) {
  const docker = new Docker({ socketPath: sock });
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    await c.remove({ force: true });
  }
  return performance.now() - t0;
}

async function toReady(sock) {
  process.env.DOCKER_HOST = `unix://${sock}`;
  // testcontainers reads DOCKER_HOST once per process: a fresh import per engine would not help, so each
  // engine's rounds run in a child of their own (below)
  const { GenericContainer, Wait } = await import(require.resolve('testcontainers'));
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const c = await new GenericContainer('busybox').withCommand(['sh', '-c', 'echo mdk-ready; sleep 60']).withWaitStrategy(Wait.forLogMessage('mdk-ready')).withNetworkMode('none').start();
    times.push(performance.now() - t0);
    await c.stop({ timeout: 0 });
  }
  return median(times);
}

if (process.env.MDK_BENCH_TC_CHILD) {
  process.stdout.write(String(await toReady(process.env.MDK_BENCH_TC_CHILD)));
  process.exit(0);
}
const { execFileSync } = await import('node:child_process');
const { fileURLToPath } = await import('node:url');
const results = [];
for (const e of engines) {
  const [name, sock] = e.split('=');
  const h = await hundred(sock);
  const tc = Number(execFileSync(process.execPath, [fileURLToPath(import.meta.url), repo, String(rounds)], { env: { ...process.env, MDK_BENCH_TC_CHILD: sock }, encoding: 'utf8' }));
  results.push({ name, hundred: h, tc });
}
const first = results[0];
console.log(`${'engine'.padEnd(16)} ${'100 create+rm ms'.padStart(17)} ${'ratio'.padStart(6)} ${'testcontainers to ready ms (median)'.padStart(36)} ${'ratio'.padStart(6)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(16)} ${r.hundred.toFixed(0).padStart(17)} ${(first.hundred / r.hundred).toFixed(2).padStart(6)} ${r.tc.toFixed(1).padStart(36)} ${(first.tc / r.tc).toFixed(2).padStart(6)}`);
}
