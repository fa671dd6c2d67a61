/**
 * Running a container: validate the config, compile the plan, start the C
 * helper with it, and follow what the helper reports. This is the library
 * API's core; the CLI is a thin layer over it.
 */
import { closeSync, read, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { signalName, signalNumber } from '../linux/signals.js';
import { type ContainerConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { helperPath } from './helper-path.js';
import { readHostRoot } from './host-root.js';
import { type NativeAddon, nativeAddon } from './native-addon.js';
import { compilePlan, needsSealedHelper } from './plan-compiler.js';
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

type StdioMode = 'inherit' | 'pipe';

/** Lazily, so that the CLI (stdio inherited) never loads net. */
const requireBuiltin = createRequire(import.meta.url);

/**
 * The helper's fds 0-4: stdio (inherited, piped to us, or /dev/null for a
 * stdin that is not interactive), the plan and control pipe, the status pipe.
 */
class HelperFds {
  readonly child: number[] = [];
  readonly streams: { stdin: Writable | null; stdout: Readable | null; stderr: Readable | null } = {
    stdin: null,
    stdout: null,
    stderr: null,
  };
  readonly control: number;
  readonly status: number;
  private readonly childOnly: number[] = [];

  constructor(addon: NativeAddon, mode: StdioMode, interactive: boolean) {
    const { Socket } = mode === 'pipe' ? (requireBuiltin('node:net') as typeof import('node:net')) : { Socket: null };
    const stdio = (fd: number, readable: boolean): number => {
      if (Socket === null) return fd;
      const [r, w] = addon.pipe();
      const [ours, theirs] = readable ? [r, w] : [w, r];
      this.childOnly.push(theirs);
      const stream = new Socket({ fd: ours, readable, writable: !readable });
      if (fd === 0) this.streams.stdin = stream;
      else if (fd === 1) this.streams.stdout = stream;
      else this.streams.stderr = stream;
      return theirs;
    };
    this.child.push(interactive ? stdio(0, false) : -1, stdio(1, true), stdio(2, true));
    const [planRead, planWrite] = addon.pipe();
    const [statusRead, statusWrite] = addon.pipe();
    this.child.push(planRead, statusWrite);
    this.childOnly.push(planRead, statusWrite);
    this.control = planWrite;
    this.status = statusRead;
  }

  /** After the spawn: our copies of the child's ends go. */
  closeChildEnds(): void {
    for (const fd of this.childOnly) closeSync(fd);
  }
}

/** A running container, started by startContainer(). */
export class Container {
  /** the host pid of the container's pid 1 */
  readonly pid: Promise<number>;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  private readonly control: number;
  private readonly done: Promise<ExitStatus>;
  private ended = false;

  /** @internal use startContainer() */
  constructor(addon: NativeAddon, helperPid: number, fds: HelperFds, plan: Buffer, onStep?: (step: StepTiming) => void) {
    ({ stdin: this.stdin, stdout: this.stdout, stderr: this.stderr } = fds.streams);
    this.control = fds.control;
    this.send(plan);

    let resolvePid: (pid: number) => void = () => {};
    let rejectPid: (e: Error) => void = () => {};
    this.pid = new Promise((res, rej) => {
      resolvePid = res;
      rejectPid = rej;
    });
    this.pid.catch(() => {}); // callers that only wait() must not see an unhandled rejection

    const records: StatusRecord[] = [];
    const splitter = new RecordSplitter();
    const onRecords = (chunk: Buffer): void => {
      for (const rec of splitter.push(chunk)) {
        records.push(rec);
        if (rec.kind === 'pid') resolvePid(rec.pid);
        if (rec.kind === 'step' && onStep) {
          onStep({ source: 'helper', name: rec.name, detail: rec.detail, milliseconds: rec.nanoseconds / 1e6 });
        }
      }
    };
    this.done = readUntilEnd(fds.status, onRecords).then(() => {
      // the status pipe ends when the helper exits: reaping it does not block
      const [code, signal] = addon.wait(helperPid);
      this.ended = true;
      closeSync(this.control);
      const result = interpret(records, { code, signal });
      if (result instanceof MobyDickError) {
        rejectPid(result);
        throw result;
      }
      rejectPid(new MobyDickError('HELPER', 'the container ended before it started'));
      return result;
    });
    this.done.catch(() => {});
  }

  private send(message: Buffer): void {
    try {
      writeSync(this.control, message);
    } catch {
      // the helper is gone; its exit says why
    }
  }

  /** Sends SIGNAL to the container's pid 1 (through the helper, which knows if it still lives). */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    if (!this.ended) this.send(encodeSignal(signalNumber(signal)));
  }

  /** Resolves with how the command ended; rejects with a MobyDickError if setup failed. */
  wait(): Promise<ExitStatus> {
    return this.done;
  }
}

/** Reads FD to its end, in the thread pool, handing each chunk to ON_DATA; closes it. */
function readUntilEnd(fd: number, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(65536);
    const next = (): void =>
      read(fd, buf, 0, buf.length, null, (err, n) => {
        if (err) {
          closeSync(fd);
          reject(err);
        } else if (n === 0) {
          closeSync(fd);
          resolve();
        } else {
          onData(Buffer.from(buf.subarray(0, n)));
          next();
        }
      });
    next();
  });
}

function interpret(records: readonly StatusRecord[], helper: { code: number; signal: number }): ExitStatus | MobyDickError {
  const error = records.find((r) => r.kind === 'error');
  if (error?.kind === 'error') return stepError(error.step, error.errno, error.detail);
  const end = records.find((r) => r.kind === 'exit' || r.kind === 'signal');
  if (end?.kind === 'exit') return { exitCode: end.code };
  if (end?.kind === 'signal') return { exitCode: 128 + end.signal, signal: signalName(end.signal) };
  const how = helper.signal >= 0 ? `was killed by ${signalName(helper.signal)}` : `exited with ${helper.code}`;
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
  const addon = nativeAddon();
  const fds = new HelperFds(addon, options.stdio ?? 'inherit', resolved.interactive);
  const helper = helperPath();
  let pid: number;
  try {
    const args = [helper, String(process.pid), ...(needsSealedHelper(resolved) ? ['seal'] : [])];
    pid = addon.spawn(helper, args, fds.child);
  } catch (e) {
    for (const fd of [fds.control, fds.status]) closeSync(fd);
    for (const stream of Object.values(fds.streams)) stream?.destroy();
    throw new MobyDickError('HELPER', `cannot start the helper: ${(e as Error).message}`, { subject: helper });
  } finally {
    fds.closeChildEnds();
  }
  lap('spawn helper', String(pid));
  return new Container(addon, pid, fds, plan, onStep);
}

/** Runs a container to its end. */
export async function runContainer(config: ContainerConfig, options: StartOptions = {}): Promise<ExitStatus> {
  return startContainer(config, options).wait();
}
