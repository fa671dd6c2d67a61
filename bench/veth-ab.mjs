// A container's network plumbing alone, two builds side by side: addVeth()
// (veth into the container's namespace, address, lo, default route) and
// removeInside() of build/tsc/src/network/links.js, from this tree and from
// OTHER_BUILD (a build/ directory of another commit, e.g. one that still
// used ip + nsenter + ip), into a namespace this script makes (`unshare -n
// sleep`), on a bridge of its own. Paired rounds in a shuffled order: wall
// time per call, and the CPU time of the processes each call ran (the
// children's, from /proc/self/stat: a child's CPU is added there when the
// call reaps it), summed over the rounds.
//   node bench/veth-ab.mjs OTHER_BUILD [ROUNDS=200]
// Needs root and `make build`; its links are named mdk-test-vab* and removed at the end.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';

const [otherArg, roundsArg] = process.argv.slice(2);
if (!otherArg) throw new Error('usage: node bench/veth-ab.mjs OTHER_BUILD [ROUNDS]');
const rounds = Number(roundsArg ?? 200);
const here = new URL('../build/tsc/src/network/links.js', import.meta.url).href;
const builds = [
  { name: 'this', links: await import(here), wall: [], removeWall: [], cpu: 0, removeCpu: 0 },
  { name: 'other', links: await import(resolve(otherArg, 'tsc/src/network/links.js')), wall: [], removeWall: [], cpu: 0, removeCpu: 0 },
];
const BRIDGE = 'mdk-test-vabbr';
const plan = (pid) => ({ pid, hostVeth: 'mdk-test-vabv', bridge: BRIDGE, ifname: 'eth0', mac: '02:42:c6:33:64:08', ip: '198.51.100.8', bits: 24, gateway: '198.51.100.1' });

execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
const ns = spawn('unshare', ['--net', '--', 'sleep', '3600'], { stdio: 'ignore' });
const childTicks = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[13]) + Number(f[14]); // cutime + cstime, in clock ticks (100 Hz)
};
try {
  const own = readlinkSync('/proc/self/ns/net');
  while (readlinkSync(`/proc/${ns.pid}/ns/net`) === own) await new Promise((r) => setTimeout(r, 5));
  const once = (b) => {
    const c0 = childTicks();
    const t0 = process.hrtime.bigint();
    b.links.addVeth(plan(ns.pid));
    const t1 = process.hrtime.bigint();
    const c1 = childTicks();
    b.links.removeInside(ns.pid, 'eth0');
    const t2 = process.hrtime.bigint();
    return { add: Number(t1 - t0) / 1e6, remove: Number(t2 - t1) / 1e6, addTicks: c1 - c0, removeTicks: childTicks() - c1 };
  };
  for (const b of builds) once(b); // warm up
  for (let r = 0; r < rounds; r++) {
    for (const b of [...builds].sort(() => Math.random() - 0.5)) {
      const m = once(b);
      b.wall.push(m.add);
      b.removeWall.push(m.remove);
      b.cpu += (m.addTicks * 10) / rounds;
      b.removeCpu += (m.removeTicks * 10) / rounds;
    }
  }
} finally {
  ns.kill('SIGKILL');
  try { execFileSync('ip', ['link', 'del', 'mdk-test-vabv'], { stdio: 'ignore' }); } catch { /* not there */ }
  execFileSync('ip', ['link', 'del', BRIDGE]);
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
const f = (v) => v.toFixed(2).padStart(8);
console.log(`${rounds} paired rounds; ms per call: wall (median p10 p90) and the CPU of the processes it ran (mean)`);
console.log('build'.padEnd(8), ' addVeth', '     p10', '     p90', '     CPU', ' removeInside', '     CPU');
for (const b of builds) console.log(b.name.padEnd(8), f(q(b.wall, 0.5)), f(q(b.wall, 0.1)), f(q(b.wall, 0.9)), f(b.cpu), f(q(b.removeWall, 0.5)).padStart(13), f(b.removeCpu));
const d = builds[1].wall.map((v, i) => v - builds[0].wall[i]);
console.log(`addVeth, other - this, per round: median ${f(q(d, 0.5))} [p25 ${q(d, 0.25).toFixed(2)}, p75 ${q(d, 0.75).toFixed(2)}]`);
