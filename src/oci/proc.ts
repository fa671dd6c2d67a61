/** What /proc says about a container's process: alive, and the same one (start time). */
import { readFileSync } from 'node:fs';

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
