/**
 * What a container could leave on the host: mounts, helper processes, and
 * processes carrying a test's marker. Every integration test checks these
 * before and after.
 *
 * A test checks only what it made, so the suite passes on a machine where
 * other people's containers run (issue 17):
 * - mounts: only those whose mount point or source names a test's thing
 *   (`mdk-test-`: every temp dir, store, rootfs and tmpfs a test makes is
 *   named so) or `/mytmp`; the host's other mounts may come and go;
 * - helpers: only those that started after the snapshot (pid and start
 *   time), so containers already running when the test began are not its.
 *   A container someone else starts during a test is still counted: run
 *   suites one at a time (`flock`), as the README says.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sleep } from './cli.js';

/** Whether a mountinfo line is a test's: its mount point or source names one. */
export function isTestMount(line: string): boolean {
  const fields = line.split(' ');
  const point = fields[4] ?? '';
  const sep = fields.indexOf('-');
  const source = sep > 0 ? (fields[sep + 2] ?? '') : '';
  return point.includes('mdk-test-') || source.includes('mdk-test-') || point === '/mytmp' || point.startsWith('/mytmp/');
}

/** The test-made mount points on the host, in the kernel's order. */
function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l && isTestMount(l))
    .map((l) => l.split(' ')[4] ?? '');
}

interface Proc {
  pid: number;
  exe: string;
  cmdline: string;
  /** clock ticks after boot (stat field 22): a pid and this name one process */
  started: number;
}

/** Live (not zombie) processes on the host. */
function liveProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = rest[0];
      if (state === 'Z' || state === 'X') continue;
      const started = Number(rest[19]);
      let exe = '';
      try {
        exe = readlinkSync(`/proc/${name}/exe`);
      } catch {
        /* kernel thread */
      }
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(name), exe, cmdline, started });
    } catch {
      /* it ended while we looked */
    }
  }
  return out;
}

export function helperProcesses(): Proc[] {
  return liveProcesses().filter((p) => p.exe.includes('mdk-init'));
}

export function processesWith(marker: string): Proc[] {
  return liveProcesses().filter((p) => p.cmdline.includes(marker) && p.pid !== process.pid);
}

export interface Snapshot {
  mounts: string[];
  /** helpers running before the test (pid:start), not the test's */
  helpers: ReadonlySet<string>;
}

const procKey = (p: Proc): string => `${p.pid}:${p.started}`;

export function snapshot(): Snapshot {
  return { mounts: mountPoints(), helpers: new Set(helperProcesses().map(procKey)) };
}

/** Helpers that started after SNAP was taken. */
export function newHelpers(snap: Snapshot): Proc[] {
  return helperProcesses().filter((p) => !snap.helpers.has(procKey(p)));
}

/**
 * Asserts that nothing is left: the same mounts as before, no helper, no
 * process with MARKER, no /mytmp on the host. Waits up to 3 s for the
 * kernel to finish tearing down killed processes.
 */
export async function assertNoLeaks(before: Snapshot, marker?: string): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const mounts = mountPoints();
    const helpers = newHelpers(before);
    const marked = marker ? processesWith(marker) : [];
    const clean =
      mounts.length === before.mounts.length && mounts.every((m, i) => m === before.mounts[i]) &&
      helpers.length === 0 && marked.length === 0 && !existsSync('/mytmp');
    if (clean) return;
    if (Date.now() > deadline) {
      assert.deepEqual(mounts, before.mounts, 'mounts left behind');
      assert.deepEqual(helpers, [], 'helper processes left behind');
      assert.deepEqual(marked, [], 'container processes left behind');
      assert.equal(existsSync('/mytmp'), false, '/mytmp created on the host');
      return;
    }
    await sleep(50);
  }
}
