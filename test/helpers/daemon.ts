/**
 * A daemon a test starts for itself (containerd, dockerd): its own process
 * group, its output in a log file, ready when a probe says so, and stopped
 * with SIGTERM, then SIGKILL of the whole group if it lingers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from './cli.js';

export class Daemon {
  private readonly child: ChildProcess;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(
    readonly name: string,
    file: string,
    args: readonly string[],
    readonly logFile: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const log = openSync(logFile, 'a');
    this.child = spawn(file, args, { stdio: ['ignore', log, log], detached: true, env });
    closeSync(log);
    this.exit = new Promise((resolve) => {
      this.child.on('exit', () => {
        this.exited = true;
        resolve();
      });
      this.child.on('error', () => {
        this.exited = true;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Waits until PROBE succeeds; throws with the log's tail if the daemon exits or TIMEOUT passes. */
  async ready(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) break;
      if (await probe()) return;
      await sleep(100);
    }
    throw new Error(`${this.name} did not come up (${this.exited ? 'it exited' : 'timeout'}):\n${this.logTail()}`);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, up to GRACE ms to exit, then SIGKILL to its process group. Resolves once it has exited. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exit.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* the group is gone */
      }
      await this.exit;
    }
  }
}
