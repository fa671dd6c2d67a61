#!/bin/sh
# Memory of a detached container's monitor: starts N (default 30) detached
# `sleep` containers with a json-file log, an attach socket and an exit file,
# reads VmRSS, RssAnon, RssFile and Pss of every monitor from /proc, prints
# the averages, then kills the containers and removes what it made.
# Needs root, `make build` and busybox-static. Usage: bench/monitor-rss.sh [N]
set -eu
cd "$(dirname "$0")/.."
N=${1:-30}
work=$(mktemp -d /tmp/mdk-bench-monitor-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/run"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh sleep; do ln -s busybox "$work/rootfs/bin/$a"; done
node --input-type=module - "$N" "$work" "$PWD" <<'JS'
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
const [n, work, repo] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const { startContainer } = await import(`${repo}/build/lib.mjs`);
const kib = (pid, file, key) => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};
const started = [];
try {
  for (let i = 0; i < n; i++) {
    const dir = `${work}/run/c${i}`;
    mkdirSync(dir, { mode: 0o700 });
    const c = startContainer({ rootfs: `${work}/rootfs`, command: ['sh', '-c', 'echo started; exec sleep 1000'] }, {
      monitor: { log: { path: `${dir}/log.json`, maxSize: 1 << 20, maxFiles: 3 }, attachSocket: `${dir}/attach`, exitFile: `${dir}/exit.json`, stdinOpen: true },
    });
    started.push({ ...(await c.detach()), dir });
  }
  await new Promise((r) => setTimeout(r, 300)); // let every "started" line reach its log
  const sum = { rss: 0, anon: 0, file: 0, pss: 0, sleepRss: 0, sleepPss: 0 };
  for (const s of started) {
    sum.rss += kib(s.monitorPid, 'status', 'VmRSS');
    sum.anon += kib(s.monitorPid, 'status', 'RssAnon');
    sum.file += kib(s.monitorPid, 'status', 'RssFile');
    sum.pss += kib(s.monitorPid, 'smaps_rollup', 'Pss');
    sum.sleepRss += kib(s.pid, 'status', 'VmRSS');
    sum.sleepPss += kib(s.pid, 'smaps_rollup', 'Pss');
  }
  const avg = (x) => (x / started.length).toFixed(0);
  console.log(`${started.length} detached containers (sh -c 'echo; exec sleep'), per monitor, KiB:`);
  console.log(`  VmRSS ${avg(sum.rss)}  RssAnon ${avg(sum.anon)}  RssFile ${avg(sum.file)}  Pss ${avg(sum.pss)}`);
  console.log(`  the container's own sleep (busybox, static): VmRSS ${avg(sum.sleepRss)}  Pss ${avg(sum.sleepPss)}`);
  console.log(`  monitor + container, Pss: ${avg(sum.pss + sum.sleepPss)} KiB`);
} finally {
  for (const s of started) {
    try { process.kill(s.pid, 'SIGKILL'); } catch {}
  }
  const deadline = Date.now() + 10_000;
  while (started.some((s) => !existsSync(`${s.dir}/exit.json`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100)); // the monitors exit right after the exit file
}
JS
