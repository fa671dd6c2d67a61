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
  /** called with each piece of stdout as it arrives */
  onStdout?: (text: string) => void;
  /**
   * "close" (default): when stdout and stderr end; "exit": when the process
   * exits, for commands that leave a container holding their stdio
   */
  until?: 'close' | 'exit';
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
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      options.onStdout?.(b.toString());
    });
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    };
    if (options.until === 'exit') {
      // what it wrote before exiting is in the pipes: read it, then let go of them
      child.on('exit', (code, signal) =>
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(code, signal);
        }, 20),
      );
    } else {
      child.on('close', finish);
    }
    if (options.input !== undefined) child.stdin?.end(options.input);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls WHAT every 50 ms until it is true; fails the test after MS. */
export async function until(what: () => Promise<boolean>, ms = 5000): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    if (await what()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms`);
}

/** A CLI run that the test talks to while it runs. */
export interface LiveCli {
  pid: number;
  /** resolves once stdout contains TEXT */
  waitFor(text: string): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the CLI with ARGS; it is killed after TIMEOUT_MS (20 s by default). */
export function startCli(args: readonly string[], timeoutMs?: number): LiveCli {
  let stdout = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  let pid = 0;
  const done = run(CLI, args, {
    timeoutMs,
    onSpawn: (p) => {
      pid = p;
    },
    onStdout: (chunk) => {
      stdout += chunk;
      for (const w of waiters.filter((w) => stdout.includes(w.text))) w.resolve();
    },
  });
  return {
    get pid() {
      return pid;
    },
    waitFor: (text) =>
      stdout.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve })),
    done,
  };
}
