/**
 * The OCI lifecycle on top of the helper: create (the container parks on
 * the exec fifo), start, state, kill, delete, run and exec, with runc's
 * semantics and messages.
 */
import { chownSync, closeSync, constants, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CgroupManager, cgroupPath } from '../cgroups/cgroup.js';
import { type CgroupLayout, readCgroupLayout } from '../cgroups/layout.js';
import { completeUpdate, deviceRules, mergeResources, planV1, planV2 } from '../cgroups/resources.js';
import { MobyDickError } from '../errors.js';
import { signalNumber } from '../linux/signals.js';
import { sleepSync } from '../linux/sleep.js';
import { Container, interpret, type PlannedContainer, type StepTiming } from '../helper/container.js';
import { runForwardingSignals } from '../helper/forward-signals.js';
import { type HelperLauncher, type LaunchedHelper, localLauncher, sendControl } from '../helper/helper-launch.js';
import { nativeAddon } from '../helper/native-addon.js';
import { readable } from '../helper/readable.js';
import type { Op } from '../helper/plan.js';
import { DETACH, encodePlan, encodeSignal, type StatusRecord } from '../helper/plan-wire.js';
import { SyncPoints, type SyncWork } from '../helper/sync-points.js';
import { compileOciPlan, processOps, type HostFacts } from './compile.js';
import { compileExecPlan, execProcess, type ExecOptions, PROC_NAME } from './exec-plan.js';
import { readHostFacts } from './host-facts.js';
import { awaitExec, awaitStartByte, type CarriedRecords, type ReadyOutcome, type StartReport, untilReady } from './exec-fifo.js';
import { stepError } from '../helper/step-errors.js';
import { isAlive, namespacesShared, procStat } from './proc.js';
import { type HookContext, runHooks } from './hooks.js';
import type { CompiledSeccomp } from './seccomp.js';
import { cachedSeccomp } from './seccomp-cache.js';
import type { Resources, Spec } from '../spec/schema.js';
import { checkId, type OciState, type SavedState, StateStore } from './state.js';
import { RUNTIME_MESSAGES, runtimeMessage } from './saved-state.js';
import { refuseUnsupported } from './unsupported.js';
import { nameMountField } from './mount-errors.js';
import { inHostMountNamespace, mountBelow, releaseHostRoot } from './host-bind.js';
import { type MonitorOptions, monitorOps } from '../helper/monitor-ops.js';
import type { Overlay } from '../helper/config.js';
import { isRootless } from '../rootless/rootless.js';
import { refuseForRootless } from '../rootless/runtime-rules.js';
import { type Delegation, delegatedCgroupPath, findDelegation, refuseUndelegated, withoutDevices } from '../cgroups/delegation.js';
import { writeRootlessMaps } from '../rootless/write-maps.js';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  /** pass the caller's fds 3..3+N-1 to the container */
  preserveFds?: number;
  noPivot?: boolean;
  debug?: boolean;
  onStep?: (step: StepTiming) => void;
  /** called with the spec and the plan compiled from it, before the helper starts (--explain) */
  onPlan?: (plan: PlannedContainer) => void;
  /**
   * An ordinary user's container: the caller's work once the new user
   * namespace is mapped, while the process is still root of it (the engine
   * starts pasta here). Once the process changes to the spec's user it is
   * no longer dumpable, and its /proc/PID/ns files are closed to the user.
   */
  onUserNamespace?: (pid: number) => void;
  /**
   * The engine's containers: a monitor (native/src/watch.c) stays as the
   * container's parent after create, keeps its stdio, log, attach socket
   * and exit file (the runtime CLI's callers bring their own, conmon or a
   * shim, and leave this out)
   */
  monitor?: MonitorOptions;
  /** root.path is where this overlay is mounted, inside the container (compile.ts) */
  overlay?: Overlay;
  /** Docker's --init: a minimal init as pid 1 that reaps zombies and forwards signals (compile.ts) */
  init?: boolean;
  /** /dev/shm from the mount namespace at this path (/proc/PID/ns/mnt): --ipc container:NAME (compile.ts) */
  shmFrom?: string;
  /**
   * The bundle's config.json as its caller built it, not read and validated
   * again (loadSpec): the engine's, which keeps to the schema
   */
  spec?: Spec;
  /**
   * A directory of compiled seccomp programs (seccomp-cache.ts), the
   * engine's. The runtime CLI keeps none: its root belongs to its callers,
   * who expect only containers there.
   */
  seccompCache?: string;
}


/** A validated config.json and its seccomp filter, compiled. */
export interface LoadedSpec {
  spec: Spec;
  seccomp?: CompiledSeccomp;
}

/**
 * BUNDLE's config.json, validated, or GIVEN: a spec its caller built itself
 * and keeps to the schema (the engine's, spec-builder.ts; its tests check
 * that). Its seccomp profile compiled, from SECCOMP_CACHE when it was before.
 */
export async function loadSpec(bundle: string, seccompCache?: string, given?: Spec): Promise<LoadedSpec> {
  const { parseSpec, compileSeccomp, checkSpecRules } = await import('./validate.js');
  const spec = given ?? parseSpec(readConfig(bundle), join(bundle, 'config.json'));
  // the schema holds for a spec the engine built; the rules across fields (sysctls, mounts) are checked all the same
  if (given) checkSpecRules(given, bundle);
  refuseUnsupported(spec);
  const profile = spec.linux?.seccomp;
  return { spec, seccomp: profile ? cachedSeccomp(profile, seccompCache, compileSeccomp) : undefined };
}

function readConfig(bundle: string): string {
  const file = join(bundle, 'config.json');
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`, {
      subject: file,
      hint: 'give --bundle a directory with a config.json (`moby-dick-runtime spec` writes one)',
    });
  }
}

/** What a created container's init does after its release (--explain of start): its process's ops after the fifo wait, as create compiled them. */
async function lateOps(saved: SavedState): Promise<Op[]> {
  const spec = saved.spec!;
  const { seccomp } = await loadSpec(saved.bundle, undefined, spec);
  const ops = processOps(spec.process!, { console: '', beforeExec: 'fifo_wait', seccomp });
  return ops.slice(ops.findIndex((o) => o.op === 'fifo_wait') + 1);
}

function writePidFile(path: string, pid: number): void {
  // as runc: write beside it, then rename, so readers never see half a pid
  const tmp = join(resolve(path, '..'), `.${path.split('/').pop()}.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}

function newState(id: string, bundle: string, spec: Spec): SavedState {
  const root = spec.root!.path;
  return {
    id,
    pid: 0,
    pidStartTime: '',
    bundle,
    rootfs: isAbsolute(root) ? root : resolve(bundle, root),
    created: new Date().toISOString(),
    owner: '',
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
  };
}

/**
 * Reads the helper's records until the container reports "ready", each
 * once the status pipe is readable: the event loop runs on meanwhile (other
 * containers' creates, a server's requests). Returns its pid and what came
 * behind "ready" (untilReady). Throws the setup error when it ends instead.
 * A sync's work may be asynchronous (sync-points.ts): the records are read
 * on meanwhile, and when it fails the child is killed and its error thrown.
 */
async function waitReady(
  helper: LaunchedHelper,
  onStep?: (s: StepTiming) => void,
  onSync?: SyncWork,
): Promise<{ pid: number; carried: CarriedRecords }> {
  const buf = Buffer.alloc(65536);
  let pid = 0;
  const syncs = new SyncPoints(onSync, (message) => sendControl(helper.fds.control, message));
  async function* reads(): AsyncGenerator<Buffer> {
    for (;;) {
      await readable(helper.fds.status);
      const n = readSync(helper.fds.status, buf);
      if (n <= 0) return;
      yield buf.subarray(0, n);
    }
  }
  // a sync's asynchronous work failed: the child, parked there, is killed through the helper,
  // which then reports its end (as helper/container.ts does); that work's error is the one thrown
  let syncError: unknown;
  void syncs.failure.catch((e: unknown) => {
    syncError = e;
    sendControl(helper.fds.control, encodeSignal(9));
  });
  let outcome: ReadyOutcome;
  try {
    outcome = await untilReady(reads(), (rec) => {
      if (rec.kind === 'pid') syncs.gotPid((pid = rec.pid));
      if (rec.kind === 'step') onStep?.({ source: 'helper', name: rec.name, detail: rec.detail, milliseconds: rec.nanoseconds / 1e6 });
      if (rec.kind === 'sync') syncs.gotSync(rec.name);
    });
    if (syncError !== undefined) throw syncError;
    if (outcome.ready) return { pid, carried: outcome.carried };
  } catch (e) {
    // the engine's work at a sync point failed (a cgroup write the kernel refused, a hook): the
    // process waiting there is killed, or under a monitor both would wait for a resume forever
    if (pid > 0) killAndWait(pid, procStat(pid)?.startTime ?? '');
    throw e;
  }
  sendControl(helper.fds.control, DETACH);
  const [code, signal] = await helper.reap();
  const result = interpret(outcome.records, { code, signal });
  throw result instanceof MobyDickError ? result : new MobyDickError('HELPER', `the container exited during create (${result.exitCode})`);
}

/** One read of FD for awaitExec: bytes, 'none' (a non-blocking fd with nothing yet), or 'end'. */
function readChunk(fd: number, chunk: Buffer): Buffer | 'none' | 'end' {
  try {
    const n = readSync(fd, chunk);
    return n === 0 ? 'end' : Buffer.from(chunk.subarray(0, n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    return 'none';
  }
}

/** The error a step reported between the process's release and its exec, if one did. */
function execFailure(records: readonly StatusRecord[], id: string): MobyDickError | undefined {
  const failed = records.find((r) => r.kind === 'error');
  return failed?.kind === 'error' ? stepError(failed.step, failed.errno, failed.detail, id) : undefined;
}

function writeMap(file: string, text: string): void {
  writeProcFile(file, text, 'linux.uidMappings and linux.gidMappings: ranges must not overlap');
}

/** A write to the host's /proc for the container's process; CHECK names what the user should look at. */
function writeProcFile(file: string, text: string, check: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new MobyDickError('SETUP', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code}`, {
      step: 'user namespace',
      subject: file,
      hint: `check ${check}`,
    });
  }
}

/** The host uid and gid that root inside maps to (the owner of what the container must write). */
function hostRoot(spec: Spec): [number, number] {
  const find = (m: { containerID: number; hostID: number }[] = []): number => m.find((x) => x.containerID === 0)?.hostID ?? 0;
  return [find(spec.linux?.uidMappings), find(spec.linux?.gidMappings)];
}

async function closeHelper(helper: LaunchedHelper): Promise<void> {
  sendControl(helper.fds.control, DETACH);
  await helper.reap();
  closeSync(helper.fds.control);
  closeSync(helper.fds.status);
}

/** SIGKILL to PID; false when it is gone already. */
function killQuietly(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

function killAndWait(pid: number, startTime: string): void {
  if (!killQuietly(pid)) return;
  for (let i = 0; i < 10_000 && isAlive(pid, startTime); i++) sleepSync(1);
}

export class OciRuntime {
  private cgroupManager: CgroupManager | undefined;
  /** an ordinary user's runtime: its containers get a cgroup only in a delegated subtree (cgroups/delegation.ts) */
  private readonly rootless = isRootless();
  private delegationFound: Delegation | null | undefined;

  constructor(
    readonly store: StateStore,
    private readonly warn: (message: string) => void = () => {},
    private readonly layout: () => CgroupLayout = () => readCgroupLayout(),
    /** makes the exec fifo a created container waits on, with exactly MODE (the addon's mkfifo by default; tests give their own) */
    private readonly makeFifo: (path: string, mode: number) => void = (path, mode) => nativeAddon().mkfifo(path, mode),
    /** where create and exec --detach start the helper: here, or in a compile service's caller */
    private readonly launcher: HelperLauncher = localLauncher,
  ) {}

  private facts: HostFacts | undefined;

  /** the host's cgroup mounts for the plan, read at this runtime's first container (kindOf looks each time) */
  private hostFacts(): HostFacts {
    return (this.facts ??= readHostFacts());
  }

  /** As an ordinary user: the cgroup v2 subtree delegated to the user, null without one (or as root). */
  private get delegation(): Delegation | null {
    if (this.delegationFound === undefined) this.delegationFound = this.rootless ? findDelegation(this.layout(), process.geteuid!()) : null;
    return this.delegationFound;
  }

  private get cgroups(): CgroupManager {
    return (this.cgroupManager ??= new CgroupManager(this.delegation?.layout ?? this.layout()));
  }

  /** What a rootless container may not ask for; its limits' controllers must be delegated (when a subtree is). */
  private refuseForRootless(spec: Spec): void {
    refuseForRootless(spec, this.delegation !== null);
    if (this.delegation) refuseUndelegated(spec.linux?.resources, this.delegation);
  }

  /** The container's cgroup path for its CgroupManager; undefined for a rootless one without a delegated subtree (no cgroup). */
  private containerCgroup(spec: Spec, id: string): string | undefined {
    if (!this.rootless) return cgroupPath(spec.linux?.cgroupsPath, id);
    return this.delegation ? delegatedCgroupPath(this.delegation, cgroupPath(spec.linux?.cgroupsPath, id)) : undefined;
  }

  /** What --explain is told of a new container: its spec, its plan, its cgroup. */
  private planned(spec: Spec, ops: readonly Op[], id: string): PlannedContainer {
    const path = this.containerCgroup(spec, id);
    const full = path !== undefined && this.delegation ? `${this.delegation.path}${path}` : path;
    return { spec, ops, ...(full !== undefined ? { cgroup: { path: full, version: this.layout().version } } : {}) };
  }

  /**
   * The engine's work at the sync points of a new container: cgroups, then
   * hooks. INPOOL: the cgroup.procs writes in libuv's thread pool (a
   * promise; waitReady's syncs wait for it), else here.
   */
  private syncWork(saved: SavedState, spec: Spec, inPool: true, onUserNamespace?: (pid: number) => void): SyncWork;
  private syncWork(saved: SavedState, spec: Spec, inPool: false): (name: string, pid: number) => void;
  private syncWork(saved: SavedState, spec: Spec, inPool: boolean, onUserNamespace?: (pid: number) => void): SyncWork {
    return (name, pid) => {
      if (name === 'cgroup') {
        // rootless: no device rules (no cgroup BPF program for an ordinary user; its devices are the host's binds)
        const resources = this.rootless ? withoutDevices(spec.linux?.resources) : deviceRules(spec.linux?.resources, spec.linux?.devices);
        saved.cgroup = this.cgroups.create(this.containerCgroup(spec, saved.id)!, resources);
        this.store.write(saved);
        if (inPool) return this.cgroups.addProcessInPool(saved.cgroup, pid);
        this.cgroups.addProcess(saved.cgroup, pid);
      } else if (name === 'userns' && this.rootless) {
        const maps = { uidMappings: spec.linux?.uidMappings ?? [], gidMappings: spec.linux?.gidMappings ?? [] };
        writeRootlessMaps(pid, maps, process.geteuid!(), process.getegid!());
        if (spec.process?.oomScoreAdj !== undefined) writeProcFile(`/proc/${pid}/oom_score_adj`, String(spec.process.oomScoreAdj), 'process.oomScoreAdj (an ordinary user may raise it, not lower it)');
        onUserNamespace?.(pid);
      } else if (name === 'userns') {
        // as root of the parent namespace, the maps may be written whole
        const map = (m: { containerID: number; hostID: number; size: number }[] = []): string => m.map((x) => `${x.containerID} ${x.hostID} ${x.size}\n`).join('');
        writeMap(`/proc/${pid}/uid_map`, map(spec.linux?.uidMappings));
        writeMap(`/proc/${pid}/gid_map`, map(spec.linux?.gidMappings));
        // from outside, as runc: the namespace's root may not write it (EACCES), nor lower it
        if (spec.process?.oomScoreAdj !== undefined) writeProcFile(`/proc/${pid}/oom_score_adj`, String(spec.process.oomScoreAdj), 'process.oomScoreAdj');
      } else if (name === 'create-hooks') {
        const state = this.store.ociState({ ...saved, pid }, 'creating');
        for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) runHooks(kind, this.hookContext(saved, spec, state));
      } else if (name === 'start-hooks') {
        runHooks('startContainer', this.hookContext(saved, spec, this.store.ociState({ ...saved, pid }, 'created')));
      }
    };
  }

  private hookContext(saved: SavedState, spec: Spec, state: OciState): HookContext {
    return { spec, state, workDir: this.store.dir(saved.id), warn: this.warn };
  }

  /** The container's cgroups removed; one still busy (a killed task not reaped yet) is named, not silently left. */
  private removeCgroups(saved: SavedState): void {
    if (!saved.cgroup) return;
    const left = this.cgroups.remove(saved.cgroup);
    if (left.length) this.warn(`container "${saved.id}": cgroup ${left.join(', ')} still busy (its last processes are exiting): remove it with rmdir once they are gone`);
  }

  /** A container in the runtime's mount namespace: its root's bind comes off the host (host-bind.ts). */
  private releaseRoot(saved: SavedState): void {
    if (saved.hostRootBelow !== undefined) releaseHostRoot(saved.rootfs, saved.hostRootBelow);
  }

  private statusOf(saved: SavedState) {
    return this.store.status(saved, () => (saved.cgroup ? this.cgroups.isFrozen(saved.cgroup) : false));
  }

  /**
   * Every process of the container, from its cgroup. Never from its pid
   * namespace: that may be the host's, and `kill --all` would reach the host.
   */
  private processes(saved: SavedState): number[] {
    if (saved.cgroup) return this.cgroups.pids(saved.cgroup);
    return saved.pid > 0 ? [saved.pid] : [];
  }

  async create(id: string, options: CreateOptions): Promise<void> {
    checkId(id); // before the bundle is read, as runc does
    const bundle = resolve(options.bundle);
    const { spec, seccomp } = await loadSpec(bundle, options.seccompCache, options.spec);
    if (this.rootless) this.refuseForRootless(spec);
    this.launcher.accept(spec);
    this.store.claim(id);
    let saved: SavedState | undefined;
    try {
      await this.store.withLockAsync(id, async () => {
        saved = newState(id, bundle, spec);
        saved.spec = spec;
        if (inHostMountNamespace(spec)) saved.hostRootBelow = mountBelow(saved.rootfs);
        this.store.write(saved);
        const fifo = this.store.fifo(id);
        this.makeFifo(fifo, 0o622);
        chownSync(fifo, ...hostRoot(spec));
        const plan = compileOciPlan(spec, {
          bundle,
          fifo,
          cgroupPath: this.containerCgroup(spec, id),
          preserveFds: options.preserveFds,
          noPivot: options.noPivot,
          seccomp,
          consoleSocket: options.consoleSocket,
          // a monitor stays; without one the helper lets go once the container is parked
          detach: options.monitor === undefined,
          syncCgroup: this.containerCgroup(spec, id) !== undefined,
          debug: options.onStep !== undefined,
          host: this.hostFacts(),
          overlay: options.overlay,
          init: options.init,
          shmFrom: options.shmFrom,
        });
        // the monitor's settings belong to the outer helper: after "clone"
        if (options.monitor) plan.splice(1, 0, ...monitorOps(options.monitor));
        options.onPlan?.(this.planned(spec, plan, id));
        const helper = await this.launcher.launch(encodePlan(plan), {
          stdio: options.monitor ? 'null' : 'inherit',
          interactive: true,
          sealed: true,
          preserveFds: options.preserveFds,
        });
        try {
          saved.pid = (await waitReady(helper, options.onStep, this.syncWork(saved, spec, true, options.onUserNamespace))).pid;
          saved.pidStartTime = procStat(saved.pid)?.startTime ?? '';
          this.store.write(saved);
          if (options.pidFile) writePidFile(options.pidFile, saved.pid);
        } finally {
          await closeHelper(helper);
        }
      });
    } catch (e) {
      if (saved && saved.pid > 0) killAndWait(saved.pid, saved.pidStartTime);
      if (saved) this.removeCgroups(saved);
      if (saved) this.releaseRoot(saved);
      this.store.remove(id);
      // a config.json's failed mount names its entry of mounts (the engine's specs keep the path)
      throw options.spec ? e : nameMountField(e, spec);
    }
  }

  /**
   * start: the parked init released through the exec fifo; resolves once it
   * has exec'd (its fifo waited for in the event loop). HANDED_OVER: the
   * launcher did that part already (it checked that the container was
   * created and has no start hooks, and read the fifo) and what it read
   * needs this path's words (start-handover.ts). ON_STEP: the steps the
   * init took after its release (a seccomp filter loaded last, exec), which
   * it reports on the fifo (--explain). ON_PLAN (--explain): the spec and
   * the ops the init has left after its release, before it is released.
   */
  async start(id: string, handedOver?: StartReport, onStep?: (s: StepTiming) => void, onPlan?: (plan: PlannedContainer) => void): Promise<void> {
    await this.store.withLockAsync(id, async () => {
      const saved = this.store.read(id);
      if (!handedOver) {
        const status = this.statusOf(saved);
        if (status !== 'created') {
          throw new MobyDickError('USAGE', `cannot start a container that is ${status}`, { container: id, subject: id });
        }
        if (saved.spec) runHooks('startContainer', this.hookContext(saved, saved.spec, this.store.ociState(saved, 'created')));
      }
      if (onPlan && saved.spec) onPlan(this.planned(saved.spec, await lateOps(saved), id));
      const fifo = this.store.fifo(id);
      try {
        const t = process.hrtime.bigint();
        const report = handedOver ?? (await this.releaseInit(fifo, saved));
        if (!report.started) throw new MobyDickError('SETUP', `container "${id}": its init process exited before it could start`, { container: id });
        onStep?.({ source: 'engine', name: 'release', detail: fifo, milliseconds: Number(process.hrtime.bigint() - t) / 1e6 });
        const steps = report.records.filter((rec) => rec.kind === 'step');
        for (const rec of steps) onStep?.({ source: 'helper', name: rec.name, detail: rec.detail, milliseconds: rec.nanoseconds / 1e6 });
        // the init reports its steps only when create asked it to (--explain, --debug)
        if (steps.length === 0) onStep?.({ source: 'engine', name: 'unreported', detail: '', milliseconds: 0 });
        const failed = execFailure(report.records, id);
        if (failed) throw failed;
      } finally {
        rmSync(fifo, { force: true });
      }
      if (saved.spec) runHooks('poststart', this.hookContext(saved, saved.spec, this.store.ociState(saved, 'running')));
    });
  }

  /** Opens FIFO for the parked init: its byte, then what it reports up to its exec. */
  private async releaseInit(fifo: string, saved: SavedState): Promise<StartReport> {
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(1);
      const started = await awaitStartByte({
        readByte: () => {
          try {
            return readSync(fd, buf) === 1;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
            return false;
          }
        },
        alive: () => isAlive(saved.pid, saved.pidStartTime),
        // the byte wakes this at once; the init's end does not (it never opened the fifo): looked at every 10 ms
        pause: () => readable(fd, 10),
        limit: 1000,
      });
      if (!started) return { started, records: [] };
      const chunk = Buffer.alloc(8192);
      const records = await awaitExec({
        read: () => readChunk(fd, chunk),
        // exec closes the init's end (readable: at its end), an error record comes before
        pause: () => readable(fd, 10),
        limit: 1000,
      });
      return { started, records };
    } finally {
      closeSync(fd);
    }
  }

  state(id: string) {
    const saved = this.store.read(id);
    return this.store.ociState(saved, this.statusOf(saved));
  }

  list() {
    return this.store.ids().flatMap((id) => {
      try {
        return [this.state(id)];
      } catch {
        return [];
      }
    });
  }

  kill(id: string, signal: NodeJS.Signals | number, all = false): void {
    this.store.withLock(id, () => {
      const saved = this.store.read(id);
      const status = this.statusOf(saved);
      if (status === 'stopped' || status === 'creating') {
        // runc's words: containerd's shim and CRI-O take "container not running" for a process already gone
        throw new MobyDickError('USAGE', runtimeMessage(RUNTIME_MESSAGES.notRunning, id), { container: id, subject: id });
      }
      const sig = signalNumber(signal);
      for (const pid of all ? this.processes(saved) : [saved.pid]) {
        try {
          process.kill(pid, sig);
        } catch {
          /* it ended meanwhile */
        }
      }
    });
  }

  delete(id: string, force = false): void {
    this.store.withLock(id, () => {
      let saved: SavedState;
      try {
        saved = this.store.read(id);
      } catch (e) {
        this.store.remove(id); // a create that died before writing state
        throw e;
      }
      const status = this.statusOf(saved);
      if ((status === 'running' || status === 'paused') && !force) {
        throw new MobyDickError('USAGE', `cannot delete container ${id} that is not stopped: ${status}`, {
          container: id,
          hint: 'stop it first, or use --force',
        });
      }
      if (status === 'paused' && saved.cgroup) this.cgroups.setFrozen(saved.cgroup, false);
      if (status !== 'stopped' && saved.pid > 0) killAndWait(saved.pid, saved.pidStartTime);
      // runc's signalAllProcesses: with --force, or for a create killed before it recorded the pid (the
      // process may be parked on the fifo already), every task of the container's cgroup
      if (force || status === 'creating') this.killCgroupTasks(id, saved);
      this.removeCgroups(saved);
      this.releaseRoot(saved);
      if (saved.spec?.hooks?.poststop?.length) {
        runHooks('poststop', this.hookContext(saved, saved.spec, this.store.ociState(saved, 'stopped')));
      }
    });
    this.store.remove(id);
  }

  /** SIGKILL to every task of the container's cgroup, waited for; what lives on is an error naming it. */
  private killCgroupTasks(id: string, saved: SavedState): void {
    if (!saved.cgroup) return;
    const tasks = this.cgroups.pids(saved.cgroup).map((pid) => ({ pid, startTime: procStat(pid)?.startTime ?? '' }));
    for (const t of tasks) killQuietly(t.pid);
    for (const t of tasks) killAndWait(t.pid, t.startTime);
    const left = tasks.filter((t) => isAlive(t.pid, t.startTime)).map((t) => t.pid);
    if (left.length) {
      throw new MobyDickError('SETUP', `container "${id}": processes ${left.join(', ')} of its cgroup did not end on SIGKILL`, {
        container: id,
        hint: 'a process in uninterruptible sleep ends when its I/O does; run delete --force again',
      });
    }
  }

  /** The container's processes, for `ps`. */
  ps(id: string): number[] {
    return this.processes(this.store.read(id));
  }

  pause(id: string, frozen: boolean): void {
    this.store.withLock(id, () => {
      const saved = this.store.read(id);
      const status = this.statusOf(saved);
      const from = frozen ? 'running' : 'paused';
      if (status !== from) throw new MobyDickError('USAGE', `container "${id}" is not ${from}`, { container: id, subject: id });
      if (!saved.cgroup) throw new MobyDickError('SETUP', `container "${id}" has no cgroup to freeze`, { container: id });
      this.cgroups.setFrozen(saved.cgroup, frozen);
    });
  }

  /** update --resources: new limits for a running container. */
  update(id: string, resources: Resources): void {
    this.store.withLock(id, () => {
      const saved = this.store.read(id);
      if (this.statusOf(saved) === 'stopped') throw new MobyDickError('USAGE', `container "${id}" is stopped`, { container: id });
      if (!saved.cgroup) throw new MobyDickError('SETUP', `container "${id}" has no cgroups`, { container: id });
      if (this.rootless) {
        // device rules are not the user's to load (as at create); a controller not delegated is said in one line
        resources = withoutDevices(resources);
        if (this.delegation) refuseUndelegated(resources, this.delegation, 'update');
      }
      if (saved.cgroup.version === 2 && resources.devices?.length) {
        this.cgroups.addDeviceRules(saved.cgroup, resources.devices);
        this.store.write(saved);
      }
      const full = completeUpdate(saved.spec?.linux?.resources, resources);
      this.cgroups.apply(saved.cgroup, saved.cgroup.version === 1 ? planV1(full) : planV2(full));
      // what it has now, for the next update's completion
      if (saved.spec?.linux) {
        saved.spec.linux.resources = mergeResources(saved.spec.linux.resources, full);
        this.store.write(saved);
      }
    });
  }

  /** events --stats: what the cgroups say, in runc's event shape. */
  stats(id: string): { type: 'stats'; id: string; data: Record<string, unknown> } {
    const saved = this.store.read(id);
    if (!saved.cgroup || this.statusOf(saved) === 'stopped') throw new MobyDickError('USAGE', `container "${id}": container not running`, { container: id });
    return { type: 'stats', id, data: this.cgroups.stats(saved.cgroup) };
  }

  /** How many of the container's processes the OOM killer killed (its memory cgroup's count; 0 without one). */
  oomKills(id: string): number {
    const saved = this.store.read(id);
    return saved.cgroup ? this.cgroups.oomKills(saved.cgroup) : 0;
  }

  /** run: create and start in one; in the foreground the exit status is the command's. */
  async run(id: string, options: CreateOptions & { detach?: boolean }): Promise<number> {
    if (options.detach) {
      await this.create(id, options);
      await this.start(id);
      return 0;
    }
    checkId(id);
    const bundle = resolve(options.bundle);
    const { spec, seccomp } = await loadSpec(bundle, options.seccompCache, options.spec);
    if (this.rootless) this.refuseForRootless(spec);
    this.launcher.accept(spec);
    this.store.claim(id);
    try {
      const saved = newState(id, bundle, spec);
      saved.spec = spec;
      if (inHostMountNamespace(spec)) saved.hostRootBelow = mountBelow(saved.rootfs);
      this.store.write(saved);
      const plan = compileOciPlan(spec, {
        bundle,
        cgroupPath: this.containerCgroup(spec, id),
        preserveFds: options.preserveFds,
        noPivot: options.noPivot,
        seccomp,
        consoleSocket: options.consoleSocket,
        detach: false,
        syncCgroup: this.containerCgroup(spec, id) !== undefined,
        debug: options.onStep !== undefined,
        host: this.hostFacts(),
      });
      options.onPlan?.(this.planned(spec, plan, id));
      try {
        return await this.foreground(plan, { ...options, onSync: this.syncWork(saved, spec, false) }, (pid) => {
          // as runc's run --pid-file
          if (options.pidFile) writePidFile(options.pidFile, pid);
          saved.pid = pid;
          saved.pidStartTime = procStat(pid)?.startTime ?? '';
          this.store.write(saved);
          // without a separate start, poststart runs once the process exists
          runHooks('poststart', this.hookContext(saved, spec, this.store.ociState(saved, 'running')));
        });
      } catch (e) {
        throw options.spec ? e : nameMountField(e, spec);
      } finally {
        this.removeCgroups(saved);
        this.releaseRoot(saved);
        if (spec.hooks?.poststop?.length) runHooks('poststop', this.hookContext(saved, spec, this.store.ociState(saved, 'stopped')));
      }
    } finally {
      this.store.remove(id);
    }
  }

  /** exec: a new process in the container's namespaces. */
  async exec(
    id: string,
    options: ExecOptions & {
      detach?: boolean;
      pidFile?: string;
      preserveFds?: number;
      onStep?: (s: StepTiming) => void;
      onPlan?: (plan: PlannedContainer) => void;
      /**
       * "pipe": the process's stdout and stderr are the Container's streams (handed to onContainer), its stdin /dev/null;
       * "null": all three /dev/null (the engine's exec -d, as Docker's: a detached process keeps nothing of the caller's);
       * "inherit" (default): this process's, as runc's exec --detach gives its own to the process
       */
      stdio?: 'inherit' | 'pipe' | 'null';
      /** the process once it is under way (not detached): its streams, kill() */
      onContainer?: (c: Container) => void;
    },
  ): Promise<number> {
    const saved = this.store.read(id);
    const status = this.statusOf(saved);
    if (status !== 'running' && status !== 'created') {
      throw new MobyDickError('USAGE', `cannot exec in a container that is ${status}`, { container: id, subject: id });
    }
    const { spec, seccomp } = await loadSpec(saved.bundle);
    const plan = compileExecPlan(spec, saved.pid, {
      ...options,
      sharedWithRuntime: namespacesShared(saved.pid),
      userFirst: this.rootless,
      seccomp,
      detach: options.detach === true,
      debug: options.onStep !== undefined,
      syncCgroup: saved.cgroup !== undefined,
    });
    options.onPlan?.({ spec: execSpec(spec, options, saved.pid), ops: plan });
    // the new process joins the container's cgroups before it runs
    const joinCgroups = (name: string, pid: number): void => {
      if (name === 'cgroup' && saved.cgroup) this.cgroups.addProcess(saved.cgroup, pid);
    };
    if (options.detach) {
      const stdio = options.stdio === 'null' ? 'null' : 'inherit';
      const helper = await this.launcher.launch(encodePlan(plan), { stdio, interactive: stdio === 'inherit', sealed: true, preserveFds: options.preserveFds });
      try {
        const { pid, carried } = await waitReady(helper, options.onStep, joinCgroups);
        // released, the process is a few steps from exec (the filter, exec itself): what fails there is
        // reported on its copy of the status fd, which exec closes; the helper's copy goes with the helper
        sendControl(helper.fds.control, DETACH);
        await helper.reap();
        // waitReady's poll left the status fd non-blocking (libuv's uv_poll sets O_NONBLOCK): wait
        // for bytes or the end in the event loop; both ends close at exec and with the reaped helper
        const chunk = Buffer.alloc(8192);
        const fd = helper.fds.status;
        const failed = execFailure(
          await awaitExec({ read: () => readChunk(fd, chunk), pause: () => readable(fd, 10), limit: 10_000, carried }),
          id,
        );
        if (failed) throw failed;
        if (options.pidFile) writePidFile(options.pidFile, pid);
      } finally {
        await closeHelper(helper);
      }
      return 0;
    }
    return this.foreground(plan, { ...options, onSync: joinCgroups }, (pid) => {
      if (options.pidFile) writePidFile(options.pidFile, pid);
    });
  }

  private async foreground(
    plan: Op[],
    options: {
      onStep?: (s: StepTiming) => void;
      onSync?: (name: string, pid: number) => void;
      preserveFds?: number;
      stdio?: 'inherit' | 'pipe' | 'null';
      onContainer?: (c: Container) => void;
    },
    onPid: (pid: number) => void,
  ): Promise<number> {
    // the helper is the launcher's child (this process's, or a compile service's caller's), and its signals are passed on
    const start = async (): Promise<Container> => {
      const stdio = options.stdio ?? 'inherit';
      const helper = await this.launcher.launch(encodePlan(plan), { stdio, interactive: stdio === 'inherit', sealed: true, preserveFds: options.preserveFds });
      const container = new Container(helper, { onStep: options.onStep, onSync: options.onSync });
      container.pid.then(onPid, () => {});
      options.onContainer?.(container);
      return container;
    };
    return (await runForwardingSignals(start, this.launcher.signals)).exitCode;
  }
}

/** An exec as --explain sees it: the container's spec with the exec's process, every namespace joined from PID. */
function execSpec(spec: Spec, options: ExecOptions, pid: number): Spec {
  const namespaces = (spec.linux?.namespaces ?? []).map((n) => ({ type: n.type, path: `/proc/${pid}/ns/${PROC_NAME[n.type] ?? n.type}` }));
  return { ...spec, process: execProcess(spec, options), linux: { ...spec.linux, namespaces } };
}
