/**
 * `top`: the container's processes as the host's ps shows them, as Docker
 * does it: run `ps ARGS` (default -ef) on the host, then keep the rows whose
 * PID is in the container's cgroup (OciRuntime.ps). The last column (CMD,
 * COMMAND) keeps its spaces.
 */
import { MobyDickError } from '../errors.js';

export interface TopResult {
  titles: string[];
  processes: string[][];
}

export const DEFAULT_PS_ARGS = ['-ef'];

/** Picks the rows of PIDS from ps's OUTPUT (pure). */
export function filterPsOutput(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) {
    throw new MobyDickError('USAGE', `Couldn't find PID field in ps output`, { hint: 'give ps options whose output has a PID column' });
  }
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!pids.has(Number(fields[pidIndex]))) continue;
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  }
  return { titles, processes };
}

export function top(pids: readonly number[], psArgs: readonly string[] = DEFAULT_PS_ARGS): TopResult {
  let output: string;
  try {
    // child_process only here: the CLI's startup snapshot should not hold it (cli/snapshot.ts)
    output = process.getBuiltinModule('node:child_process').execFileSync('ps', [...psArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new MobyDickError('USAGE', `Error running ps: ${(err.stderr ?? err.message).trim()}`, { subject: psArgs.join(' '), hint: 'check the ps options' });
  }
  return filterPsOutput(output, new Set(pids));
}
