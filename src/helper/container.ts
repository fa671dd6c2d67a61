/**
 * A running container: follows what the C helper reports (its pid, the
 * sync points, the steps, how it ended), signals it, lets it go. The jail
 * and the library start one (src/jail/start.ts), the OCI runtime's `run`
 * and `exec` too (src/oci/lifecycle.ts).
 */
import { closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { signalName, signalNumber } from '../linux/signals.js';
import { readUntilEnd } from './helper-fds.js';
import { readPolledUntilEnd } from './readable.js';
import { type HelperProcess, type LaunchedHelper, reapHelper, sendControl } from './helper-launch.js';
import type { MonitorOptions } from './monitor-ops.js';
import { DETACH, encodeSignal, RecordSplitter, type StatusRecord } from './plan-wire.js';
import { SyncPoints } from './sync-points.js';
import type { Op } from './plan.js';
import type { Spec } from '../spec/schema.js';
import { stepError } from './step-errors.js';

export interface StepTiming {
  /** "engine" for work in Node, "helper" for the C helper's steps */
  source: 'engine' | 'helper';
  name: string;
  detail: string;
  milliseconds: number;
}

/** @internal what a container was compiled into: what --explain explains */
export interface PlannedContainer {
  spec: Spec;
  ops: readonly Op[];
  /** the cgroup the engine makes for it, if any */
  cgroup?: {
    path: string;
    version: 1 | 2;
    /** v1: the parent cgroup whose device rules and cpuset it copies at mkdir (shared-parent.ts), e.g. /moby-dick-jail */
    inheritsFrom?: string;
  };
}

export interface ExitStatus {
  /** the command's exit code; 128+N when it died from signal N */
  exitCode: number;
  /** the signal that ended it, e.g. "SIGTERM" */
  signal?: string;
  /**
   * the cgroup it ran in, e.g. /moby-dick-jail/NAME under every hierarchy's
   * root (a jail or library container): removed once it ended
   */
  cgroup?: string;
}

export interface StartOptions {
  /** "inherit" (default): the container uses this process's stdio; "pipe": streams on the Container */
  stdio?: 'inherit' | 'pipe';
  /** called for every setup step with its duration (what --debug prints) */
  onStep?: (step: StepTiming) => void;
  /** @internal called once with the spec and the plan compiled from it, before the helper starts (--explain) */
  onPlan?: (plan: PlannedContainer) => void;
  /**
   * @internal the engine's work at a sync point of the plan (cgroups): runs
   * while the container's pid 1 waits; a throw ends the container
   */
  onSync?: (name: string, pid: number) => void;
  /**
   * a monitor that keeps the container's stdio, log, attach socket and exit
   * record, and can outlive this process (Container.detach()); the
   * container's stdio is then the monitor's and `stdio` does not apply
   */
  monitor?: MonitorOptions;
  /**
   * @internal fds of this process the container's command gets at 3, 4, ...
   * (the plan's preserve_fds): a rootless `cp`'s root of a running container
   */
  passFds?: readonly number[];
}

/** What detach() knows once the monitor has let go. */
export interface Detached {
  /** the host pid of the container's pid 1 */
  pid: number;
  /** the monitor's pid; it lives as long as the container */
  monitorPid: number;
  /** set when the container had already ended before the detach */
  exit?: ExitStatus;
  /**
   * the cgroup it runs in (a jail or library container), e.g.
   * /moby-dick-jail/NAME under every hierarchy's root: left to the caller,
   * who removes it (rmdir) once the container has ended
   */
  cgroup?: string;
}

/** @internal what the starter of a container keeps besides its helper: its cgroup, removed at the end */
export interface ContainerCgroup {
  path: string;
  /** removes it; called once the container ended, unless it was detached */
  remove: () => void;
}

/** @internal what the starter knows of the plan besides the helper */
export interface ContainerExtras {
  cgroup?: ContainerCgroup;
  /** how many sync points the plan has: detach() lets go only once they are all passed */
  syncs?: number;
  /** pid 1 is the init (ContainerConfig.init), which exits 128+N when signal N ended the command */
  init?: boolean;
}

/** A running container, started by startContainer(). */
export class Container {
  /** the host pid of the container's pid 1 */
  readonly pid: Promise<number>;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  private readonly control: number;
  private readonly done: Promise<ExitStatus | 'detached'>;
  private ended = false;
  private readonly monitored: boolean;
  private detaching = false;
  private monitorPid = 0;

  private readonly cgroup: ContainerCgroup | undefined;

  /** @internal use startContainer() */
  /** settles once every sync point of the plan was passed (the engine's work done, the child resumed) */
  private readonly synced: Promise<void>;

  /** HELPER: started here (launchHelper), or by a HelperLauncher, whose reaping may be another process's (the OCI runtime's) */
  constructor(helper: HelperProcess | LaunchedHelper, options: StartOptions, monitored = false, extras: ContainerExtras = {}) {
    this.monitored = monitored;
    const { cgroup } = extras;
    this.cgroup = cgroup;
    let resumed = 0;
    let allSynced: () => void = () => {};
    this.synced = new Promise((res) => {
      allSynced = res;
    });
    if ((extras.syncs ?? 0) === 0) allSynced();
    const { fds } = helper;
    ({ stdin: this.stdin, stdout: this.stdout, stderr: this.stderr } = fds.streams ?? { stdin: null, stdout: null, stderr: null });
    this.control = fds.control;

    let resolvePid: (pid: number) => void = () => {};
    let rejectPid: (e: Error) => void = () => {};
    this.pid = new Promise((res, rej) => {
      resolvePid = res;
      rejectPid = rej;
    });
    this.pid.catch(() => {}); // callers that only wait() must not see an unhandled rejection

    const records: StatusRecord[] = [];
    const splitter = new RecordSplitter();
    let syncError: MobyDickError | undefined;
    const syncs = new SyncPoints(options.onSync, (message) => {
      sendControl(this.control, message);
      if (++resumed === extras.syncs) allSynced();
    });
    const guarded = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        syncError = e instanceof MobyDickError ? e : new MobyDickError('SETUP', String(e), { step: 'sync' });
        sendControl(this.control, encodeSignal(9));
      }
    };
    const onRecords = (chunk: Buffer): void => {
      for (const rec of splitter.push(chunk)) {
        records.push(rec);
        if (rec.kind === 'monitor') this.monitorPid = rec.pid;
        if (rec.kind === 'pid') {
          resolvePid(rec.pid);
          guarded(() => syncs.gotPid(rec.pid));
        }
        if (rec.kind === 'step' && options.onStep) {
          options.onStep({ source: 'helper', name: rec.name, detail: rec.detail, milliseconds: rec.nanoseconds / 1e6 });
        }
        if (rec.kind === 'sync') guarded(() => syncs.gotSync(rec.name));
      }
    };
    // the OCI runtime's helpers (a HelperLauncher's) are followed in the event loop: a compile service follows many at once
    const reading = 'reap' in helper ? readPolledUntilEnd(fds.status, onRecords) : readUntilEnd(fds.status, onRecords);
    this.done = reading.then(async () => {
      // the status pipe ends when the helper exits: reaping it does not block
      const [code, signal] = 'reap' in helper ? await helper.reap() : reapHelper(helper);
      this.ended = true;
      closeSync(this.control);
      const letGo = this.detaching && code === 0 && !records.some((r) => r.kind === 'error' || r.kind === 'exit' || r.kind === 'signal');
      if (letGo && !syncError) return 'detached' as const;
      cgroup?.remove();
      const ended = syncError ?? interpret(records, { code, signal }, extras.init === true);
      const result = ended instanceof MobyDickError || !cgroup ? ended : { ...ended, cgroup: cgroup.path };
      if (result instanceof MobyDickError) {
        rejectPid(result);
        throw result;
      }
      rejectPid(new MobyDickError('HELPER', 'the container ended before it started'));
      return result;
    });
    this.done.catch(() => {});
  }

  /**
   * Sends SIGNAL to the container's pid 1 (through the helper, which knows if
   * it still lives). After detach() it does nothing: the engine signals the
   * pid it recorded.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    if (!this.ended) sendControl(this.control, encodeSignal(signalNumber(signal)));
  }

  /**
   * Resolves with how the command ended; rejects with a MobyDickError if
   * setup failed, or once the container was detached (its monitor records
   * the end in the exit file).
   */
  async wait(): Promise<ExitStatus> {
    const result = await this.done;
    if (result === 'detached') {
      throw new MobyDickError('USAGE', 'the container was detached: its monitor records how it ends', {
        hint: 'read the exit file given in StartOptions.monitor',
      });
    }
    return result;
  }

  /**
   * Lets the container run on without this process (StartOptions.monitor
   * only): once its command runs, the monitor leaves this process and keeps
   * the container's stdio, log and exit record on its own. Resolves when the
   * helper has let go; rejects with the setup error if the container failed
   * to start. Call it after the plan's sync points (the engine's work).
   */
  async detach(): Promise<Detached> {
    if (!this.monitored) {
      throw new MobyDickError('USAGE', 'only a container started with a monitor can be detached', {
        hint: 'pass StartOptions.monitor to startContainer',
      });
    }
    const pid = await this.pid;
    // a detach before a sync point was passed would leave the child waiting there for good
    await Promise.race([this.synced, this.done.catch(() => {})]);
    this.detaching = true;
    if (!this.ended) sendControl(this.control, DETACH);
    const result = await this.done;
    // ended already: its cgroup went with it
    return result === 'detached' ? { pid, monitorPid: this.monitorPid, ...(this.cgroup ? { cgroup: this.cgroup.path } : {}) } : { pid, monitorPid: this.monitorPid, exit: result };
  }
}

/**
 * How a helper run ended, from its records and its own exit. Under an init
 * (INIT), pid 1 exits 128+N when signal N ended the command (native/src/init.c,
 * as tini): that signal is named too, as it is when it ends pid 1 itself.
 */
export function interpret(records: readonly StatusRecord[], helper: { code: number; signal: number }, init = false): ExitStatus | MobyDickError {
  const error = records.find((r) => r.kind === 'error');
  if (error?.kind === 'error') return stepError(error.step, error.errno, error.detail);
  const end = records.find((r) => r.kind === 'exit' || r.kind === 'signal');
  if (end?.kind === 'exit') {
    const n = end.code - 128;
    return init && n > 0 && n < 65 ? { exitCode: end.code, signal: signalName(n) } : { exitCode: end.code };
  }
  if (end?.kind === 'signal') return { exitCode: 128 + end.signal, signal: signalName(end.signal) };
  const how = helper.signal >= 0 ? `was killed by ${signalName(helper.signal)}` : `exited with ${helper.code}`;
  return new MobyDickError('HELPER', `the helper ${how} before the container ended`, {
    hint: 'run with --debug to see the last step',
  });
}
