#!/usr/bin/env node
/**
 * The kernel's wait on the first write of a pid into a new cgroup's
 * cgroup.procs (issue 19): on cgroup v1 the move takes cgroup_threadgroup_rwsem,
 * whose writer side waits for an RCU grace period; cgroup v2 mounted with
 * `favordynmods` makes the rwsem's readers pay instead (Linux 6.0+).
 *
 *   node bench/cgroup-procs-wait.mjs [ROUNDS] [GAP_MS]
 *
 * Each round makes a cgroup named mdk-bench-procs-N in every writable
 * hierarchy (v1: each controller's; v2: the unified one), starts `sleep`,
 * and times the write of its pid into each hierarchy's new cgroup.procs,
 * in turn (as the runtime does); then the process is killed and the
 * cgroups removed. On a cgroup2-only host it measures the mount as it is,
 * then remounted with favordynmods, then remounts it as it was. Prints the median,
 * min and max of the first write and of the others, in ms.
 * Run as root, under `flock /work/integration.lock` on a shared machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

const ROUNDS = Number(process.argv[2] ?? 30);
/** the pause between rounds: a write within a grace period of the last one does not wait again */
const GAP_MS = Number(process.argv[3] ?? 200);
const ROOT = '/sys/fs/cgroup';

function hierarchies() {
  if (existsSync(`${ROOT}/cgroup.controllers`)) return [ROOT];
  return readdirSync(ROOT)
    .map((n) => `${ROOT}/${n}`)
    .filter((d) => existsSync(`${d}/cgroup.procs`) && !d.endsWith('/unified'));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => (xs.length ? `median ${median(xs).toFixed(2)}  min ${Math.min(...xs).toFixed(2)}  max ${Math.max(...xs).toFixed(2)}` : '-');

async function measure(label) {
  const dirs = hierarchies();
  const first = [];
  const rest = [];
  for (let i = 0; i < ROUNDS; i++) {
    const made = dirs.map((d) => `${d}/mdk-bench-procs-${process.pid}-${i}`);
    for (const m of made) {
      mkdirSync(m);
      // v1's cpuset takes no task before it has cpus and mems (ENOSPC): the parent's, as the runtime gives
      for (const f of ['cpuset.cpus', 'cpuset.mems']) if (m.startsWith(`${ROOT}/cpuset`) && existsSync(`${m}/${f}`)) writeFileSync(`${m}/${f}`, readFileSync(`${m}/../${f}`));
    }
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    try {
      for (const [k, m] of made.entries()) {
        const t0 = process.hrtime.bigint();
        writeFileSync(`${m}/cgroup.procs`, String(child.pid));
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        (k === 0 ? first : rest).push(ms);
      }
    } finally {
      const ended = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await ended;
      for (const m of made) {
        for (let t = 0; t < 100; t++) {
          try {
            rmdirSync(m);
            break;
          } catch (e) {
            if (e.code !== 'EBUSY') throw e;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }
    }
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  console.log(`${label} (${dirs.length} hierarch${dirs.length === 1 ? 'y' : 'ies'}, ${ROUNDS} rounds, ${GAP_MS} ms apart)`);
  console.log(`  first write:  ${fmt(first)} ms`);
  console.log(`  later writes: ${fmt(rest)} ms`);
}

const mountOptions = () => readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === ROOT && l.split(' ')[2] === 'cgroup2')?.split(' ')[3];

console.log(`kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`);
const v2Options = mountOptions();
if (!v2Options) {
  await measure('cgroup v1');
} else {
  await measure(`cgroup v2 (${v2Options})`);
  if (!v2Options.split(',').includes('favordynmods')) {
    execFileSync('mount', ['-o', 'remount,favordynmods', ROOT]);
    try {
      await measure(`cgroup v2 (${mountOptions()})`);
    } finally {
      execFileSync('mount', ['-o', `remount,${v2Options}`, ROOT]);
    }
  }
}
