/** Runs the built moby-dick CLI as a user would, and collects what it prints. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The project root (this file is compiled to build/tsc/test/helpers/). */
export const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = `${PROJECT}build/moby-dick`;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** called once the process is started, e.g. to signal it */
  onSpawn?: (pid: number) => void;
  spawn?: SpawnOptions;
}

export function mdk(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return run(CLI, args, options);
}

export function run(file: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...options.spawn,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
