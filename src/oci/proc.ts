/** What /proc says about a container's process: alive, and the same one (start time). */
import { readFileSync, statSync } from 'node:fs';
import { PROC_NAME } from './exec-plan.js';

export interface ProcStat {
  state: string;
  /** clock ticks since boot; with the pid it names one process for good */
  startTime: string;
}

export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name may hold spaces and parentheses: fields start after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', startTime: fields[19] ?? '' };
}

/** Alive: exists, is not a zombie, and is the same process (start time) as recorded. */
export function isAlive(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const st = procStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X' && st.startTime === startTime;
}

/** The /proc/PID/ns names whose namespace this process is in too (a config may join the host's by path). */
export function namespacesShared(pid: number): Set<string> {
  const shared = new Set<string>();
  for (const name of Object.values(PROC_NAME)) {
    try {
      const theirs = statSync(`/proc/${pid}/ns/${name}`);
      const ours = statSync(`/proc/self/ns/${name}`);
      if (theirs.ino === ours.ino && theirs.dev === ours.dev) shared.add(name);
    } catch {
      /* a kernel without it, or the process is gone: exec reports that */
    }
  }
  return shared;
}
