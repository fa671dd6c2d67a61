// The Kubernetes path, timed: a pod's start (RunPodSandbox + CreateContainer +
// StartContainer) and its teardown (StopContainer + RemoveContainer +
// StopPodSandbox + RemovePodSandbox) through containerd 1.6's CRI, with the
// runtime handler `moby` (moby-dick-runtime) and `runc` in the same run.
// Every round does each handler once, in a shuffled order, so that machine
// noise hits both alike; prints medians, p10/p90 and the moby/runc ratio.
// The private containerd, CNI bridge and images are the CRI test's
// (test/helpers/cri/cri-host.ts), all under one mdk-test- temp dir, removed
// at the end.
// usage (root, after `make build`): node bench/cri.mjs [ROUNDS]
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const build = new URL('../build/tsc/test/helpers/', import.meta.url);
const { CriHost, BUSYBOX_IMAGE } = await import(new URL('cri/cri-host.js', build).href);
const { CreatedPaths, CALLER_GLOBAL_PATHS } = await import(new URL('caller-host.js', build).href);

const rounds = Number(process.argv[2] ?? 10);
const tag = `b${process.pid % 10000}`;
const handlers = ['runc', 'moby'];
const paths = new CreatedPaths([...CALLER_GLOBAL_PATHS, '/var/lib/cni', '/var/lib/cni/results']);
const dir = mkdtempSync('/tmp/mdk-test-cri-bench-');
chmodSync(dir, 0o755);
mkdirSync(join(dir, 'tmp'));
const host = new CriHost({ dir, tag, subnet: '10.88.232.0/24', logLevel: 'warn' });

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
let n = 0;

/** One pod with one container, started and (unless TEARDOWN is false) torn down; the times of both. */
async function podOnce(handler, teardown = true) {
  const cri = host.client;
  const name = `${handler}-${n++}`;
  const logs = join(dir, 'logs', name);
  mkdirSync(logs, { recursive: true });
  const config = {
    metadata: { name: `mdk-test-${name}`, uid: `mdk-test-${tag}-${name}`, namespace: 'mdk-test', attempt: 0 },
    hostname: `mdkt-${name}`,
    log_directory: logs,
    linux: { cgroup_parent: `/${host.cgroup}/${name}`, security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  const t0 = process.hrtime.bigint();
  const { pod_sandbox_id: pod } = await cri.call('RunPodSandbox', { config, runtime_handler: handler });
  const { container_id: id } = await cri.call('CreateContainer', {
    pod_sandbox_id: pod,
    config: { metadata: { name: 'mdk-test-c' }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '3600'], log_path: 'c.log' },
    sandbox_config: config,
  });
  await cri.call('StartContainer', { container_id: id });
  const start = ms(t0);
  if (!teardown) return { start, teardown: null };
  const t1 = process.hrtime.bigint();
  try {
    await cri.call('StopContainer', { container_id: id, timeout: 0 }, 20_000);
    await cri.call('RemoveContainer', { container_id: id }, 20_000);
    await cri.call('StopPodSandbox', { pod_sandbox_id: pod }, 20_000);
    await cri.call('RemovePodSandbox', { pod_sandbox_id: pod }, 20_000);
  } catch (e) {
    return { start, teardown: null, error: e.message };
  }
  return { start, teardown: ms(t1) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];

try {
  await host.start({ ...process.env, TMPDIR: join(dir, 'tmp') });
  const times = Object.fromEntries(handlers.map((h) => [h, { start: [], teardown: [] }]));
  // a handler whose start fails is dropped; one whose teardown fails has its pods' starts timed
  // still, and its pods are left for the final cleanup (containerd stopped, what is left killed)
  const failed = {};
  const teardownFailed = {};
  const once = async (h) => {
    const t = await podOnce(h, !teardownFailed[h]);
    if (t.error) teardownFailed[h] = t.error;
    return t;
  };
  for (const h of handlers) {
    try {
      await once(h); // warm up: the images' first unpacked use, the shim binary in the page cache
    } catch (e) {
      failed[h] = e.message;
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const h of [...handlers].sort(() => Math.random() - 0.5)) {
      if (failed[h]) continue;
      try {
        const t = await once(h);
        times[h].start.push(t.start);
        if (t.teardown !== null) times[h].teardown.push(t.teardown);
      } catch (e) {
        failed[h] = e.message;
      }
    }
  }
  console.log(`${rounds} paired rounds through containerd 1.6's CRI (wall time of the gRPC calls, ms)\n`);
  console.log('handler'.padEnd(8), 'phase'.padEnd(10), 'n'.padStart(3), 'median'.padStart(9), 'p10'.padStart(9), 'p90'.padStart(9));
  for (const h of handlers) {
    for (const phase of ['start', 'teardown']) {
      const xs = times[h][phase];
      if (xs.length === 0) continue;
      console.log(h.padEnd(8), phase.padEnd(10), String(xs.length).padStart(3), median(xs).toFixed(1).padStart(9), pct(xs, 0.1).toFixed(1).padStart(9), pct(xs, 0.9).toFixed(1).padStart(9));
    }
  }
  console.log('');
  for (const phase of ['start', 'teardown']) {
    if (times.moby[phase].length && times.runc[phase].length) {
      console.log(`moby / runc ${phase}`.padEnd(22), (median(times.moby[phase]) / median(times.runc[phase])).toFixed(2));
    }
  }
  for (const [h, msg] of Object.entries(failed)) console.log(`${h}: stopped after a failure: ${msg}`);
  for (const [h, msg] of Object.entries(teardownFailed)) console.log(`${h}: teardown failed (its pods' starts timed still): ${msg}`);
} finally {
  const forced = await host.stop();
  if (forced.length) console.log(`\ncleanup: ${forced.length} processes, mounts or files removed by force`);
  paths.remove();
  rmSync(dir, { recursive: true, force: true });
}
