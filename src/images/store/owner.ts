/**
 * Which process owns a temp file or a lease: its pid and the time it
 * started (field 22 of /proc/PID/stat), so that a reused pid is not taken
 * for the process that died.
 */
import { readFileSync } from 'node:fs';

export interface Owner {
  pid: number;
  startTime: string;
}

export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

let self: Owner | undefined;

export function currentOwner(): Owner {
  self ??= { pid: process.pid, startTime: startTimeOf(process.pid) ?? '0' };
  return self;
}

export function isAlive(owner: Owner): boolean {
  return startTimeOf(owner.pid) === owner.startTime;
}

/** A name for a temp entry that tells its owner: <pid>-<start>-<random>. */
export function ownedName(): string {
  const o = currentOwner();
  return `${o.pid}-${o.startTime}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The owner named by ownedName, or undefined for a name it did not make. */
export function ownerOfName(name: string): Owner | undefined {
  const m = /^(\d+)-(\d+)-/.exec(name);
  return m ? { pid: Number(m[1]), startTime: m[2]! } : undefined;
}
