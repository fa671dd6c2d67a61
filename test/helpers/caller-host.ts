/**
 * What containerd, Podman and Docker can leave on the host when they run
 * containers, found and removed by what marks them as a test's: mounts and
 * processes by the test's temp dir (every daemon, shim and conmon names it
 * in its arguments), cgroups by their mdk-test- name, state directories by
 * not having existed before the test. Network: what these callers would add
 * (bridges, iptables chains, ip_forward), compared before and after.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './cli.js';
import { processesWith } from './leaks.js';

/** DIR, if it is a test's (so that '' or / can never select everything). */
function testDir(dir: string): string {
  if (!dir.startsWith('/') || !dir.includes('mdk-test-')) throw new Error(`not a test's directory: "${dir}"`);
  return dir;
}

/** Mount points at or under DIR, deepest first. */
export function mountsUnder(dir: string): string[] {
  return mountPointsUnder(testDir(dir));
}

/** Mount points at or under DIR, which the caller chose with care (a test's, or a listed global path). */
function mountPointsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Detaches every mount under DIR (overlay rootfs, shm, the daemons' own binds of their roots). */
export function unmountUnder(dir: string): void {
  detachAll(mountsUnder(dir));
}

function detachAll(mounts: readonly string[]): void {
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* gone with its parent */
    }
  }
}

/** Live processes whose command line names DIR: daemons, shims, conmon, the runtime. */
export function processesUnder(dir: string): { pid: number; cmdline: string }[] {
  return processesWith(testDir(dir));
}

/** SIGKILLs what runs under DIR and waits up to 5 s for it to be gone. */
export async function killUnder(dir: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const left = processesUnder(dir);
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* ended meanwhile */
      }
    }
    await sleep(50);
  }
}

const CGROUP_FS = '/sys/fs/cgroup';

/** The hierarchies: /sys/fs/cgroup itself on a v2-only host, else each mounted v1 (and the unified) one. */
function hierarchies(): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = mounts
    .map((l) => ({ point: l.split(' ')[4] ?? '', fstype: l.split(' - ')[1]?.split(' ')[0] ?? '' }))
    .filter((m) => (m.fstype === 'cgroup' || m.fstype === 'cgroup2') && (m.point === CGROUP_FS || m.point.startsWith(`${CGROUP_FS}/`)));
  return [...new Set(points.map((m) => m.point))];
}

/** Cgroup directories named NAME at the top of any hierarchy. */
export function cgroupsNamed(name: string): string[] {
  return hierarchies()
    .map((h) => join(h, name))
    .filter((d) => existsSync(d));
}

function subdirsDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...subdirsDeepestFirst(join(dir, e.name)));
  out.push(dir);
  return out;
}

/** Pids in the cgroups named NAME or below them, in any hierarchy. */
export function processesInCgroups(name: string): number[] {
  const pids = new Set<number>();
  for (const top of cgroupsNamed(name)) {
    for (const dir of subdirsDeepestFirst(top)) {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(pid));
    }
  }
  return [...pids];
}

/** Kills what is left in the cgroups named NAME and removes them, children first. */
export async function removeCgroups(name: string): Promise<void> {
  for (const top of cgroupsNamed(name)) {
    for (const dir of subdirsDeepestFirst(top)) {
      for (let i = 0; i < 60; i++) {
        const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        for (const pid of procs) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            /* ended meanwhile */
          }
        }
        try {
          rmdirSync(dir);
          break;
        } catch {
          await sleep(50); // EBUSY while the killed processes are torn down
        }
      }
    }
  }
}

/**
 * Paths that these callers create outside their configured roots, whatever
 * the flags (the shims' socket dir is compiled into containerd; dockerd keeps
 * its plugin dir in /run/docker; Podman's runtime root is the runtime's
 * default; containers/image's blob cache). Those that did not exist before
 * the test are removed after it.
 */
export const CALLER_GLOBAL_PATHS = [
  '/run/containerd',
  '/run/containerd/s',
  '/run/containerd/fifo',
  '/run/containerd/runc',
  '/opt/containerd',
  '/run/docker',
  '/run/docker/plugins',
  '/etc/docker',
  '/etc/docker/key.json',
  '/run/containers',
  '/run/containers/storage',
  '/run/libpod',
  '/var/lib/containers',
  '/var/lib/containers/storage',
  // containers/image's blob cache: `podman load` as root writes it whatever its storage config says
  '/var/lib/containers/cache',
  '/var/lib/containers/cache/blob-info-cache-v1.boltdb',
  '/var/lib/docker',
  '/etc/containers/networks',
  '/run/moby-dick',
] as const;

export class CreatedPaths {
  private readonly before = new Set<string>();

  constructor(private readonly paths: readonly string[] = CALLER_GLOBAL_PATHS) {
    for (const p of paths) if (existsSync(p)) this.before.add(p);
  }

  /** The watched paths that exist now and did not before. */
  created(): string[] {
    return this.paths.filter((p) => !this.before.has(p) && existsSync(p));
  }

  /**
   * Removes what was created, children first: a listed file, and directories
   * only while empty of anything else, so nothing of a concurrent user goes.
   */
  remove(): void {
    for (const p of [...this.created()].sort((a, b) => b.length - a.length)) {
      if (!existsSync(p)) continue;
      // Podman's default storage binds its overlay dir onto itself; P is one of the listed paths, never a test's
      // own (unmountUnder would refuse it), and only made by this run
      detachAll(mountPointsUnder(p));
      if (!statSync(p).isDirectory()) {
        rmSync(p, { force: true });
        continue;
      }
      for (const d of subdirsDeepestFirst(p)) {
        try {
          rmdirSync(d);
        } catch {
          /* not empty: left for the check to report */
        }
      }
    }
  }
}

export interface NetworkFacts {
  /** bridges a container engine makes */
  bridges: string[];
  /** iptables rules and chains of Docker, CNI and netavark */
  rules: string[];
  ipForward: string;
}

const ENGINE_BRIDGE = /^(docker0|podman\d*|cni-podman\d*|br-[0-9a-f]{12})$/;
const ENGINE_RULE = /DOCKER|CNI-|NETAVARK|podman/;

function iptablesRules(): string[] {
  const out: string[] = [];
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    // counters change on their own: compare the rules without them
    const text = execFileSync(cmd, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    out.push(...text.split('\n').filter((l) => ENGINE_RULE.test(l)).map((l) => `${cmd}: ${l.replace(/\[\d+:\d+\]/g, '')}`));
  }
  return out.sort();
}

export function networkFacts(): NetworkFacts {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => ENGINE_BRIDGE.test(n));
  return { bridges: links.sort(), rules: iptablesRules(), ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() };
}
