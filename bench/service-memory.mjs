// The API service's memory, two ways of starting it side by side on one
// store: each NAME=COMMAND (e.g. "flags=build/moby-dick" and
// "none=node -- build/moby-dick.cjs") runs `COMMAND system service` on a
// socket of its own; then BATCHES batches of 1,000 requests (container list,
// inspect of one created container, _ping; one connection each, as curl
// and the docker CLI make them), the services taking turns batch by batch.
// Prints each one's VmRSS (MiB) idle and after each batch, then at REST_S
// seconds after the last batch without a request (the service collects
// its heap after 2 s idle and drops its file pages after 10 s:
// src/api/idle-release.ts, src/cli/commands/system-service.ts), and its
// CPU (utime + stime) and the client's wall-clock ms for all the requests.
// usage (as root, a store with busybox): MOBY_DICK_ROOT=STORE node bench/service-memory.mjs BATCHES NAME=COMMAND...
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

const [batchesArg, ...specs] = process.argv.slice(2);
const batches = Number(batchesArg);
if (!(batches > 0) || specs.length === 0) {
  console.error('usage: node bench/service-memory.mjs BATCHES NAME=COMMAND...');
  process.exit(2);
}
const dir = mkdtempSync('/var/tmp/mdk-bench-svcmem-');
const REST_S = [2, 5, 12];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (100/s)
};

function call(sock, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const services = [];
try {
  for (const spec of specs) {
    const [name, command] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
    const sock = join(dir, `${name}.sock`);
    const [file, ...args] = command.split(' ');
    const child = spawn(file, [...args, 'system', 'service', '--host', `unix://${sock}`, '--timeout', '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (let i = 0; i < 200 && !existsSync(sock); i++) await sleep(50);
    // the launcher execs Node: the same pid
    services.push({ name, sock, child, pid: child.pid, rss: [], cpu: 0, wall: 0 });
  }
  await sleep(1000);
  for (const s of services) {
    await call(s.sock, 'GET', '/_ping');
    s.rss.push(rss(s.pid));
    const created = await call(s.sock, 'POST', `/v1.41/containers/create?name=mdk-bench-svcmem-${s.name}`, { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    if (created.status !== 201) throw new Error(`${s.name}: create: ${created.status} ${created.text}`);
  }
  for (let b = 0; b < batches; b++) {
    for (const s of services) {
      const cpu0 = cpuMs(s.pid);
      const t0 = performance.now();
      for (let i = 0; i < 333; i++) {
        await call(s.sock, 'GET', '/v1.41/containers/json?all=1');
        await call(s.sock, 'GET', `/v1.41/containers/mdk-bench-svcmem-${s.name}/json`);
        await call(s.sock, 'GET', '/_ping');
      }
      await call(s.sock, 'GET', '/_ping');
      s.cpu += cpuMs(s.pid) - cpu0;
      s.wall += performance.now() - t0;
      s.rss.push(rss(s.pid));
    }
  }
  const ended = performance.now();
  for (const at of REST_S) {
    await sleep(ended + at * 1000 - performance.now());
    for (const s of services) s.rss.push(rss(s.pid));
  }
  console.log(`${'service'.padEnd(12)} ${['idle', ...Array.from({ length: batches }, (_, i) => `${i + 1}k`), ...REST_S.map((at) => `+${at}s`)].map((h) => h.padStart(6)).join(' ')}   CPU ms  wall ms`);
  for (const s of services) console.log(`${s.name.padEnd(12)} ${s.rss.map((r) => r.toFixed(1).padStart(6)).join(' ')}   ${s.cpu.toFixed(0).padStart(6)}  ${s.wall.toFixed(0).padStart(7)}`);
} finally {
  for (const s of services) {
    await call(s.sock, 'DELETE', `/v1.41/containers/mdk-bench-svcmem-${s.name}?force=1`).catch(() => {});
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
