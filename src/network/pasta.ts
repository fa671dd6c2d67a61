/**
 * The `pasta` process of a rootless container (pasta-args.ts): started as
 * the user once the container's namespaces exist (the runtime's create
 * parked its init), its pid kept in a file of the container's, and stopped
 * when the container stops or is removed, so no forwarder and no published
 * port outlives it. The impure half.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import type { PortBinding } from './port-spec.js';
import { sleepSync } from '../linux/sleep.js';
import { pastaArgs } from './pasta-args.js';

/** The host's unprivileged port floor (net.ipv4.ip_unprivileged_port_start); 1024 when unreadable. */
export function unprivilegedPortFloor(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(n) ? n : 1024;
  } catch {
    return 1024;
  }
}

/** pasta for the namespaces of process PID (CONTAINER names it in errors); returns once its interface is up, its pid and start time in PID_FILE. */
export function startPasta(container: string, pid: number, ports: readonly PortBinding[], pidFile: string): void {
  rmSync(pidFile, { force: true });
  try {
    // child_process is taken when needed: it may not be in the CLI's startup snapshot
    process.getBuiltinModule('node:child_process').execFileSync('pasta', pastaArgs(pid, ports, pidFile), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === 'ENOENT' ? 'pasta is not installed' : (err.stderr?.toString().trim().split('\n').pop() ?? err.message);
    throw new MobyDickError('SETUP', `container ${container}: rootless network: pasta: ${why}`, {
      container,
      hint: err.code === 'ENOENT' ? 'install the passt package (apt-get install passt), or run with --network none' : 'is a published port taken already? run with --network none to do without',
    });
  }
  // pasta wrote its pid; its start time beside it names that process for good (a stop long after, a stale sweep)
  const started = recorded(pidFile);
  const start = started && statFields(started.pid)?.startTime;
  if (started && start) writeFileSync(pidFile, `${started.pid} ${start}\n`);
}

/** /proc/PID/stat's state and start time (clock ticks since boot); null when PID is gone. */
function statFields(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTime: fields[19] ?? '' };
  } catch {
    return null;
  }
}

/** PID_FILE's pid, and the start time recorded with it (pasta's own file holds the pid alone). */
function recorded(pidFile: string): { pid: number; startTime?: string } | undefined {
  let words: string[];
  try {
    words = readFileSync(pidFile, 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
  const pid = Number(words[0]);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  return { pid, ...(words[1] ? { startTime: words[1] } : {}) };
}

/**
 * The pasta of PID_FILE when it still runs: the pid it holds, whose command
 * line names that file, and whose start time is the one recorded (a pid
 * reused since is another process, never signalled).
 */
export function runningPasta(pidFile: string): number | undefined {
  const r = recorded(pidFile);
  if (!r) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').split('\0');
    if (!cmdline.includes(pidFile)) return undefined;
  } catch {
    return undefined;
  }
  if (r.startTime !== undefined && statFields(r.pid)?.startTime !== r.startTime) return undefined;
  return r.pid;
}

/** Whether process PID is still there and not yet a zombie (its sockets are closed only after its command line is gone). */
function alive(pid: number): boolean {
  const st = statFields(pid);
  return st !== null && st.state !== 'Z';
}

/** Stops the pasta of PID_FILE (TERM, then KILL after a second) and waits until it is gone, its ports closed; nothing when none runs. */
export function stopPasta(pidFile: string): void {
  const pid = runningPasta(pidFile);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) sleepSync(10);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(pid); i++) sleepSync(10);
    } catch {
      /* ended meanwhile */
    }
  }
  rmSync(pidFile, { force: true });
}
