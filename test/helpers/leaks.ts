/**
 * What a container could leave on the host: mounts, helper processes, and
 * processes carrying a test's marker. Every integration test checks these
 * before and after.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sleep } from './cli.js';

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4] ?? '');
}

interface Proc {
  pid: number;
  exe: string;
  cmdline: string;
}

/** Live (not zombie) processes on the host. */
function liveProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      let exe = '';
      try {
        exe = readlinkSync(`/proc/${name}/exe`);
      } catch {
        /* kernel thread */
      }
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(name), exe, cmdline });
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
}

export function snapshot(): Snapshot {
  return { mounts: mountPoints() };
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
    const helpers = helperProcesses();
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
