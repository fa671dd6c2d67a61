// Summarises a `node --cpu-prof` profile: the wall time it covers, and the
// functions with the most self time and the most total (inclusive) time.
// usage: node bench/cpuprofile.mjs FILE.cpuprofile [TOP=25]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpuprofile.mjs FILE.cpuprofile [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// time per sample: the delta that follows it
const self = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
}
const name = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const selfBy = new Map();
const totalBy = new Map();
for (const [id, ms] of self) {
  selfBy.set(name(byId.get(id)), (selfBy.get(name(byId.get(id))) ?? 0) + ms);
  // each function counted once per stack, however often it recurs
  const seen = new Set();
  for (let x = id; x !== undefined; x = parent.get(x)) {
    const k = name(byId.get(x));
    if (!seen.has(k)) {
      seen.add(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + ms);
    }
  }
}
const wall = (p.endTime - p.startTime) / 1000;
console.log(`${basename(file)}: ${wall.toFixed(1)} ms profiled, ${(wall - (selfBy.get('(idle)') ?? 0)).toFixed(1)} ms not idle`);
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms.toFixed(1).padStart(9)} ms  ${k}`);
};
show('self time', selfBy);
show('total time', totalBy);
