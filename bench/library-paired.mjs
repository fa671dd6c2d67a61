// bench/library.mjs of two checkouts, paired: every round runs each once, in
// alternating order, and takes its rate (containers/s, from its output) and
// the CPU of the whole run, the Node process and every process it made (the
// helpers, the monitors, the containers), from perf stat: task-clock, and
// its user and system parts (the kernel's share). Run it under the
// integration lock: flock /work/integration.lock node bench/library-paired.mjs ...
//   node bench/library-paired.mjs ROUNDS COUNT CONCURRENCY name=/path/to/checkout ...
// Each checkout needs `make build`. Prints each run, then the medians.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [roundsArg, countArg, concArg, ...specs] = process.argv.slice(2);
if (!specs.length) {
  console.error('usage: node bench/library-paired.mjs ROUNDS COUNT CONCURRENCY name=CHECKOUT ...');
  process.exit(2);
}
const sides = specs.map((s) => {
  const i = s.indexOf('=');
  return { name: s.slice(0, i), dir: s.slice(i + 1), rate: [], cpu: [], user: [], sys: [], self: [] };
});
const tmp = mkdtempSync('/tmp/mdk-test-bench-libpaired-');
const out = join(tmp, 'perf.txt');
const count = Number(countArg);

function once(side) {
  const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock,user_time,system_time', '-o', out, '--', 'node', join(side.dir, 'bench/library.mjs'), countArg, concArg], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${side.name} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const rate = Number(/([\d.]+) containers\/s/.exec(r.stdout)?.[1]);
  const self = Number(/this process's CPU: ([\d.]+) ms/.exec(r.stdout)?.[1]);
  const perf = readFileSync(out, 'utf8').split('\n');
  const val = (event) => Number(perf.find((l) => l.split(',')[2] === event)?.split(',')[0]);
  // the whole run (import, image load, warm-up included) per measured container: a fair comparison, not an absolute
  return { rate, self, cpu: val('task-clock') / count, user: val('user_time') / 1e6 / count, sys: val('system_time') / 1e6 / count };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  for (let round = 0; round < Number(roundsArg); round++) {
    const order = round % 2 ? [...sides].reverse() : sides;
    for (const side of order) {
      const m = once(side);
      for (const k of ['rate', 'cpu', 'user', 'sys', 'self']) side[k].push(m[k]);
      console.log(`round ${round} ${side.name}: ${m.rate} containers/s, whole run ${m.cpu.toFixed(1)} ms CPU a container (user ${m.user.toFixed(1)}, sys ${m.sys.toFixed(1)}), the Node process ${m.self} ms`);
    }
  }
  console.log(`medians of ${roundsArg} rounds, ${count} containers, ${concArg} at once:`);
  for (const s of sides) {
    console.log(`  ${s.name}: ${median(s.rate).toFixed(1)} containers/s; CPU a container: all processes ${median(s.cpu).toFixed(1)} ms (user ${median(s.user).toFixed(1)}, sys ${median(s.sys).toFixed(1)}), the Node process ${median(s.self).toFixed(2)} ms`);
  }
  if (sides.length === 2) {
    const [a, b] = sides;
    const ratios = a.rate.map((r, i) => b.rate[i] / r);
    console.log(`  rate ratio ${b.name}/${a.name}, median of the rounds: ${median(ratios).toFixed(2)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
