/**
 * Running a container: validate the config, compile the plan, start the C
 * helper with it, and follow what the helper reports. This is the library
 * API's core; the CLI is a thin layer over it.
 */
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { signalName, signalNumber } from '../linux/signals.js';
import { type ContainerConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { helperPath } from './helper-path.js';
import { readHostRoot } from './host-root.js';
import { compilePlan } from './plan-compiler.js';
import { encodePlan, encodeSignal, RecordSplitter, type StatusRecord } from './plan-wire.js';
import { stepError } from './step-errors.js';

export interface StepTiming {
  /** "engine" for work in Node, "helper" for the C helper's steps */
  source: 'engine' | 'helper';
  name: string;
  detail: string;
  milliseconds: number;
}

export interface ExitStatus {
  /** the command's exit code; 128+N when it died from signal N */
  exitCode: number;
  /** the signal that ended it, e.g. "SIGTERM" */
  signal?: string;
}

export interface StartOptions {
  /** "inherit" (default): the container uses this process's stdio; "pipe": streams on the Container */
  stdio?: 'inherit' | 'pipe';
  /** called for every setup step with its duration (what --debug prints) */
  onStep?: (step: StepTiming) => void;
}

function checkRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new MobyDickError('NOT_ROOT', 'moby-dick needs root to create containers', {
      hint: 'run it as root, e.g. with sudo',
    });
  }
}

function checkRootfs(rootfs: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new MobyDickError('ROOTFS', `rootfs ${rootfs}: ${code === 'ENOENT' ? 'no such directory' : code}`, {
      subject: rootfs,
      errnoName: code,
      hint: 'give --rootfs an existing directory that holds the container\'s files',
    });
  }
  if (!isDir) {
    throw new MobyDickError('ROOTFS', `rootfs ${rootfs}: not a directory`, { subject: rootfs, errnoName: 'ENOTDIR' });
  }
}

function stdioFor(config: ResolvedConfig, mode: 'inherit' | 'pipe'): StdioOptions {
  const stdin = config.interactive ? mode : 'ignore';
  return [stdin, mode, mode, 'pipe', 'pipe'];
}

/** A running container, started by startContainer(). */
export class Container {
  /** the host pid of the container's pid 1 */
  readonly pid: Promise<number>;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  private readonly control: Writable;
  private readonly done: Promise<ExitStatus>;
  private ended = false;

  /** @internal use startContainer() */
  constructor(child: ChildProcess, plan: Buffer, onStep?: (step: StepTiming) => void) {
    this.stdin = child.stdin;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    this.control = child.stdio[3] as Writable;
    const status = child.stdio[4] as Readable;
    this.control.on('error', () => {}); // the helper may be gone; its exit tells why
    this.control.write(plan);

    let resolvePid: (pid: number) => void = () => {};
    let rejectPid: (e: Error) => void = () => {};
    this.pid = new Promise((res, rej) => {
      resolvePid = res;
      rejectPid = rej;
    });
    this.pid.catch(() => {}); // callers that only wait() must not see an unhandled rejection

    const records: StatusRecord[] = [];
    const splitter = new RecordSplitter();
    status.on('data', (chunk: Buffer) => {
      for (const rec of splitter.push(chunk)) {
        records.push(rec);
        if (rec.kind === 'pid') resolvePid(rec.pid);
        if (rec.kind === 'step' && onStep) {
          onStep({ source: 'helper', name: rec.name, detail: rec.detail, milliseconds: rec.nanoseconds / 1e6 });
        }
      }
    });
    const statusEnded = new Promise<void>((res) => status.on('close', res));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
      child.on('error', (e) =>
        rej(new MobyDickError('HELPER', `cannot start the helper: ${e.message}`, { subject: child.spawnfile })),
      );
      child.on('exit', (code, signal) => res({ code, signal }));
    });
    this.done = Promise.all([exited, statusEnded]).then(([helper]) => {
      this.ended = true;
      this.control.destroy();
      const result = interpret(records, helper);
      if (result instanceof MobyDickError) {
        rejectPid(result);
        throw result;
      }
      rejectPid(new MobyDickError('HELPER', 'the container ended before it started'));
      return result;
    });
    this.done.catch(() => {});
  }

  /** Sends SIGNAL to the container's pid 1 (through the helper, which knows if it still lives). */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    if (this.ended) return;
    this.control.write(encodeSignal(signalNumber(signal)));
  }

  /** Resolves with how the command ended; rejects with a MobyDickError if setup failed. */
  wait(): Promise<ExitStatus> {
    return this.done;
  }
}

function interpret(
  records: readonly StatusRecord[],
  helper: { code: number | null; signal: NodeJS.Signals | null },
): ExitStatus | MobyDickError {
  const error = records.find((r) => r.kind === 'error');
  if (error?.kind === 'error') return stepError(error.step, error.errno, error.detail);
  const end = records.find((r) => r.kind === 'exit' || r.kind === 'signal');
  if (end?.kind === 'exit') return { exitCode: end.code };
  if (end?.kind === 'signal') return { exitCode: 128 + end.signal, signal: signalName(end.signal) };
  const how = helper.signal ? `was killed by ${helper.signal}` : `exited with ${helper.code}`;
  return new MobyDickError('HELPER', `the helper ${how} before the container ended`, {
    hint: 'run with --debug to see the last step',
  });
}

/** Starts a container; throws MobyDickError for a bad config or a missing rootfs. */
export function startContainer(config: ContainerConfig, options: StartOptions = {}): Container {
  const { onStep } = options;
  let t = process.hrtime.bigint();
  const lap = (name: string, detail = ''): void => {
    const now = process.hrtime.bigint();
    onStep?.({ source: 'engine', name, detail, milliseconds: Number(now - t) / 1e6 });
    t = now;
  };
  checkRoot();
  const resolved = resolveConfig(config);
  if (resolved.rootfs !== null) checkRootfs(resolved.rootfs);
  const hostRoot = resolved.rootfs === null ? readHostRoot() : undefined;
  lap('resolve config', resolved.rootfs ?? 'host view');
  const plan = encodePlan(compilePlan(resolved, { debug: onStep !== undefined, hostRoot }));
  lap('compile plan', `${plan.length} bytes`);
  const child = spawn(helperPath(), [String(process.pid)], {
    stdio: stdioFor(resolved, options.stdio ?? 'inherit'),
    env: {},
  });
  lap('spawn helper', String(child.pid ?? ''));
  return new Container(child, plan, onStep);
}

/** Runs a container to its end. */
export async function runContainer(config: ContainerConfig, options: StartOptions = {}): Promise<ExitStatus> {
  return startContainer(config, options).wait();
}
