// Paired timing: every round runs each command once, in a shuffled order, so
// that machine noise hits all of them alike. Prints medians, the spread, and
// ratios. usage: node paired.mjs ROUNDS "name=command line" ...
import { spawnSync } from 'node:child_process';

const [roundsArg, ...specs] = process.argv.slice(2);
const rounds = Number(roundsArg);
const commands = specs.map((s) => {
  const i = s.indexOf('=');
  return { name: s.slice(0, i), argv: s.slice(i + 1).split(' '), times: [] };
});

function runOnce(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.argv[0], c.argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return ms;
}

for (const c of commands) runOnce(c); // warm up caches
for (let round = 0; round < rounds; round++) {
  const order = [...commands].sort(() => Math.random() - 0.5);
  for (const c of order) c.times.push(runOnce(c));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
const med = Object.fromEntries(commands.map((c) => [c.name, median(c.times)]));

console.log(`${rounds} paired rounds; wall time per run, including Node's spawnSync (the "true" line)\n`);
console.log('command'.padEnd(12), 'median ms'.padStart(10), 'p10'.padStart(8), 'p90'.padStart(8));
for (const c of commands) {
  console.log(c.name.padEnd(12), med[c.name].toFixed(2).padStart(10), pct(c.times, 0.1).toFixed(2).padStart(8), pct(c.times, 0.9).toFixed(2).padStart(8));
}
const md = med['moby-dick'];
if (md !== undefined) {
  console.log('');
  for (const other of ['runc', 'crun', 'node -e 0']) {
    if (med[other] !== undefined) console.log(`moby-dick / ${other}`.padEnd(24), (md / med[other]).toFixed(2));
  }
  if (med['node -e 0'] !== undefined) {
    console.log('moby-dick - node -e 0'.padEnd(24), `${(md - med['node -e 0']).toFixed(2)} ms (what moby-dick adds to Node's start)`);
  }
}
