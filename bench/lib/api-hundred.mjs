// N containers created and removed through the API with dockerode, one after the other; the mean ms of a create and of a remove.
// usage: node bench/lib/api-hundred.mjs SOCKET [N=100]
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../package.json', import.meta.url));
const Docker = require('dockerode');
const docker = new Docker({ socketPath: process.argv[2] });
const n = Number(process.argv[3] ?? 100);
let tc = 0, tr = 0;
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  const t1 = performance.now();
  await c.remove({ force: true });
  tc += t1 - t0; tr += performance.now() - t1;
}
console.log(`create ${(tc / n).toFixed(2)} ms, rm ${(tr / n).toFixed(2)} ms`);
