// Paired timing with CPU: as paired.mjs, every round runs each command once in
// a shuffled order, and also takes each run's CPU time (perf's task-clock of
// the process and its children), which the machine's load disturbs less
// than the wall time. usage: node paired-cpu.mjs ROUNDS "name=command line" ...
// PAIRED_CPU_SELF=1: the CPU time of the command alone (its main thread, no children).
// Needs perf (linux-perf).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [roundsArg, ...specs] = process.argv.slice(2);
const commands = specs.map((s) => {
  const i = s.indexOf('=');
  return { name: s.slice(0, i), argv: s.slice(i + 1).split(' '), wall: [], cpu: [] };
});
const tmp = mkdtempSync('/tmp/mdk-test-bench-paired-');
const out = join(tmp, 'perf.txt');

function once(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('perf', ['stat', ...(process.env.PAIRED_CPU_SELF ? ['-i'] : []), '-x,', '-e', 'task-clock', '-o', out, '--', ...c.argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const line = readFileSync(out, 'utf8').split('\n').find((l) => l.includes('task-clock'));
  return [wall, Number(line?.split(',')[0])];
}

try {
  for (const c of commands) once(c); // warm up caches
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const c of [...commands].sort(() => Math.random() - 0.5)) {
      const [wall, cpu] = once(c);
      c.wall.push(wall);
      c.cpu.push(cpu);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
console.log(`${roundsArg} paired rounds; wall ms includes perf's start, CPU ms is the task-clock of the command and its children`);
console.log('command'.padEnd(16), 'wall median', '   p10', '   p90', '  CPU median', '   p10');
for (const c of commands) {
  const f = (v) => v.toFixed(1).padStart(6);
  console.log(c.name.padEnd(16), f(q(c.wall, 0.5)).padStart(11), f(q(c.wall, 0.1)), f(q(c.wall, 0.9)), f(q(c.cpu, 0.5)).padStart(12), f(q(c.cpu, 0.1)));
}
// PAIRED_CPU_DIFF=1: each command against the first, round by round (the
// pairs share the machine's load at that moment): median and p25–p75 of the differences
if (process.env.PAIRED_CPU_DIFF) {
  const [first, ...rest] = commands;
  console.log(`\nper-round difference to "${first.name}" (ms): median [p25, p75]`);
  for (const c of rest) {
    const d = (key) => c[key].map((v, i) => v - first[key][i]);
    const g = (xs) => `${q(xs, 0.5).toFixed(1)} [${q(xs, 0.25).toFixed(1)}, ${q(xs, 0.75).toFixed(1)}]`;
    console.log(c.name.padEnd(16), 'wall', g(d('wall')).padEnd(24), 'CPU', g(d('cpu')));
  }
}
