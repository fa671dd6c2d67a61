/**
 * The locked lifecycle of a created container: start (the runtime's create
 * under a monitor, then its start), stop, kill, pause, remove, wait, and
 * exited — what the monitor runs when the container has ended: records an
 * OOM kill, removes the runtime's state and cgroups, then --rm or the
 * restart policy (restart-policy.ts). What the runtime and the networks do
 * is theirs (EngineCore's collaborators); what is decided here is tested
 * with fakes of them (engine.test.ts).
 */
import { isRootless } from '../rootless/rootless.js';
import { refuseWithoutDelegation, rootlessContainerSpec, userDelegation } from './rootless-container.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { heldCapabilities } from '../linux/capabilities.js';
import { sleepSync } from '../linux/sleep.js';
import { type MonitorHealth, parseExitRecord } from '../helper/monitor-ops.js';
import type { ContainerRecord } from './container-table.js';
import { networkFileBinds, plugNetwork, prepareNetwork, releaseNetwork, startForwarder } from './container-networking.js';
import { explainNetwork, pluggedNetwork } from './explain-network.js';
import type { Explanation } from '../explain/explanation.js';
import type { PlannedContainer, StepTiming } from '../helper/container.js';
import type { ContainerView, EngineCore, EngineOciRuntime } from './engine-core.js';
import { hostDevices, mappedDevices } from './host-devices.js';
import { joinedNamespaces } from './namespace-modes.js';
import { removeEmptyParent, removeLeftoverCgroups } from './leftovers.js';
import type { ContainerPaths } from './paths.js';
import { containerEvent, signalNumber } from './events.js';
import { shouldRestart } from './restart-policy.js';
import { buildSpec, type EngineContainer } from '../spec/spec-builder.js';
import { containerState } from './status.js';
import { healthOf } from './health-check.js';
import { runsChecks, healthSettings, nextCheckDelay } from './health.js';

/** What the OCI runtime says, undefined when it has no state for ID. */
export function runtimeStatus(e: EngineCore, id: string): ReturnType<EngineOciRuntime['state']> | undefined {
  try {
    return e.runtime.state(id);
  } catch {
    return undefined;
  }
}

function exitRecord(paths: ContainerPaths) {
  try {
    return parseExitRecord(readFileSync(paths.exitFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** RECORD as it is now: the runtime's status and the monitor's exit file joined into Docker's state. */
export function viewOf(e: EngineCore, record: ContainerRecord): ContainerView {
  const paths = e.paths(record.id);
  const rt = runtimeStatus(e, record.id);
  const exit = exitRecord(paths);
  const state = containerState({ started: record.state.startedAt !== undefined, runtime: rt?.status, ...(exit ? { exit } : {}) });
  if (record.state.oomKilled) Object.assign(state, { OOMKilled: true });
  const health = healthOf(record, paths);
  if (health) state.Health = health;
  return { record, state, paths, pid: state.Running ? (rt?.pid ?? 0) : 0, rootless: e.options.rootless ?? isRootless() };
}

/** --explain's listeners for a start: the runtime's plan and steps, the engine's, and the network it plugged in. */
export interface StartExplain {
  onStep: (step: StepTiming) => void;
  onPlan: (plan: PlannedContainer) => void;
  onNetwork: (network: Explanation['network']) => void;
}

/**
 * `start`, with the container's lock held: its OCI config from its record,
 * the runtime's create with a monitor, then BEFORE_START (attach here, so
 * no output is missed), then the runtime's start. A container that ran
 * before starts afresh.
 */
export async function startLocked(e: EngineCore, id: string, beforeStart?: (v: ContainerView) => Promise<void> | void, explain?: StartExplain): Promise<ContainerView> {
  const record = e.containers.find(id);
  const v = e.view(record);
  if (v.state.Running) return v;
  const paths = v.paths;
  if (runtimeStatus(e, record.id)) e.runtime.delete(record.id, true);
  rmSync(paths.exitFile, { force: true });
  e.keptCgroupParents?.keep(record.engine.cgroupsPath);
  const { files, netns } = prepareNetwork(e, record, paths);
  try {
    const engine: EngineContainer = { ...record.engine, binds: [...networkFileBinds(files, record.engine), ...record.engine.binds], network: netns };
    Object.assign(engine, joinedNamespaces(e, record));
    // the --device nodes as they are now; a privileged container also gets every device the host has now, as Docker
    const mapped = engine.deviceMappings?.length ? mappedDevices(engine.deviceMappings) : undefined;
    if (mapped) Object.assign(engine, mapped);
    if (engine.privileged) engine.devices = [...hostDevices().filter((d) => !mapped?.devices.some((m) => m.path === d.path)), ...(mapped?.devices ?? [])];
    if (engine.privileged || engine.capAdd.some((c) => c.toUpperCase() === 'ALL')) engine.hostCapabilities = heldCapabilities(readFileSync('/proc/self/status', 'utf8'));
    const rootless = e.options.rootless ?? isRootless();
    const spec = rootless ? rootlessContainerSpec(buildSpec(engine), userDelegation()) : buildSpec(engine);
    writeFileSync(paths.bundleConfig, JSON.stringify(spec));
    // pasta joins the container's namespaces once they are mapped, before the process takes on its user (-u): it is not dumpable then
    const onUserNamespace = record.net?.mode === 'pasta' ? (pid: number) => startForwarder(e, record, pid) : undefined;
    await createInRuntime(e, record, paths, spec, engine.shm?.mode === 'container' ? engine.shm.nsPath : undefined, explain, onUserNamespace);
    if (record.net?.mode === 'bridge') {
      const t = process.hrtime.bigint();
      plugNetwork(e, record, paths, e.runtime.state(record.id).pid);
      if (explain) {
        explain.onStep({ source: 'engine', name: 'plug network', detail: record.id, milliseconds: Number(process.hrtime.bigint() - t) / 1e6 });
        explain.onNetwork(explainNetwork(pluggedNetwork(e, record)));
      }
    }
  } catch (err) {
    if (runtimeStatus(e, record.id)) e.runtime.delete(record.id, true);
    releaseNetwork(e, record.id);
    throw err;
  }
  record.state.startedAt = new Date().toISOString();
  record.state.stoppedByUser = false;
  e.containers.save(record);
  try {
    await beforeStart?.(e.view(record));
    await e.runtime.start(record.id, undefined, explain?.onStep);
    volumeEvents(e, record, 'mount');
    containerEvent(e, record, 'start');
  } catch (err) {
    e.runtime.delete(record.id, true);
    releaseNetwork(e, record.id);
    throw err;
  }
  return e.view(record);
}

/** The runtime's create of RECORD's bundle, under its monitor, on an overlay of its layers. */
/** SHM_FROM: the mount namespace whose /dev/shm it takes (--ipc container:NAME) */
async function createInRuntime(e: EngineCore, record: ContainerRecord, paths: ContainerPaths, spec: ReturnType<typeof buildSpec>, shmFrom?: string, explain?: StartExplain, onUserNamespace?: (pid: number) => void): Promise<void> {
  mkdirSync(dirname(paths.attachSocket), { recursive: true, mode: 0o700 });
  rmSync(paths.attachSocket, { force: true });
  const onExit = e.options.exitCommand ? [...e.options.exitCommand, record.id] : undefined;
  const health = healthMonitor(e, record);
  await e.runtime.create(record.id, {
    bundle: paths.dir,
    // not validated again: buildSpec keeps to the schema (spec-trust.test.ts), but for a seccomp profile of the user's
    ...(typeof record.engine.seccomp === 'string' ? { spec } : {}),
    seccompCache: join(e.runDir, 'seccomp'),
    monitor: {
      // --log-driver none: the monitor reads the output and keeps none
      ...(record.log.driver === 'none' ? {} : { log: { path: paths.log, maxSize: record.log.maxSize, maxFiles: record.log.maxFiles } }),
      exitFile: paths.exitFile,
      attachSocket: paths.attachSocket,
      stdinOpen: record.openStdin,
      ...(onExit ? { onExit } : {}),
      ...(health ? { health } : {}),
    },
    ...(record.layers.length ? { overlay: { lower: record.layers, upper: paths.upper, work: paths.work, ...(record.volatileUpper ? { volatile: true } : {}), ...((e.options.rootless ?? isRootless()) ? { userxattr: true } : {}) } } : {}),
    init: record.init,
    ...(shmFrom !== undefined ? { shmFrom } : {}),
    ...(explain ? { onStep: explain.onStep, onPlan: explain.onPlan } : {}),
    ...(onUserNamespace ? { onUserNamespace } : {}),
  });
}

/**
 * The monitor's health checks of RECORD: EngineOptions.healthCommand with
 * its ID, the first after Docker's first interval; a check that runs past
 * its timeout and a minute more (a wedged start) is killed.
 */
function healthMonitor(e: EngineCore, record: ContainerRecord): MonitorHealth | undefined {
  if (!e.options.healthCommand || !runsChecks(record.healthcheck)) return undefined;
  const s = healthSettings(record.healthcheck);
  const now = Date.now();
  return {
    command: [...e.options.healthCommand, record.id],
    firstMs: nextCheckDelay(s, now, now, 'starting'),
    everyMs: Math.ceil(s.interval / 1e6),
    limitMs: Math.ceil(s.timeout / 1e6) + 60_000,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits up to MS for the container to end; true when it did. With timers,
 * not sleeps: a process serving many clients (the Engine API's service)
 * goes on serving while a container takes its time to stop.
 */
async function waitStopped(e: EngineCore, id: string, ms: number): Promise<boolean> {
  for (let waited = 0; ; waited += 20) {
    const st = runtimeStatus(e, id)?.status;
    if (st === undefined || st === 'stopped') return true;
    if (waited >= ms) return false;
    await sleep(20);
  }
}

async function waitExitFileAsync(e: EngineCore, id: string, ms: number): Promise<void> {
  const paths = e.paths(id);
  for (let waited = 0; waited <= ms && !existsSync(paths.exitFile); waited += 10) await sleep(10);
}

export function waitExitFile(e: EngineCore, id: string, ms: number): void {
  const paths = e.paths(id);
  for (let waited = 0; waited <= ms && !existsSync(paths.exitFile); waited += 10) sleepSync(10);
}

/** A volume's mount or unmount event for each named volume of RECORD, as Docker's at start and at exit. */
function volumeEvents(e: EngineCore, record: ContainerRecord, action: 'mount' | 'unmount'): void {
  for (const [name, destination] of Object.entries(record.volumes)) {
    e.store.events.record('volume', action, name, action === 'mount' ? { container: record.id, destination, driver: 'local' } : { container: record.id, driver: 'local' });
  }
}

/** `stop`: the stop signal (or SIGNAL), then SIGKILL after TIMEOUT seconds, as Docker. */
export async function stop(e: EngineCore, ref: string, timeout?: number, signal?: string): Promise<ContainerRecord> {
  const found = e.containers.find(ref);
  const record = await e.locked(found.id, () => {
    const r = e.containers.find(found.id);
    r.state.stoppedByUser = true;
    e.containers.save(r);
    return r;
  });
  const v = e.view(record);
  if (!v.state.Running) return record;
  if (v.state.Paused) e.runtime.pause(record.id, false);
  const seconds = timeout ?? record.stopTimeout;
  try {
    e.runtime.kill(record.id, (signal ?? record.stopSignal) as NodeJS.Signals);
    containerEvent(e, record, 'kill', { signal: signalNumber(signal ?? record.stopSignal) });
  } catch {
    /* it ended meanwhile */
  }
  if (!(await waitStopped(e, record.id, Math.max(0, seconds) * 1000))) {
    try {
      e.runtime.kill(record.id, 'SIGKILL', true);
      containerEvent(e, record, 'kill', { signal: '9' });
    } catch {
      /* it ended meanwhile */
    }
    await waitStopped(e, record.id, 10_000);
  }
  await waitExitFileAsync(e, record.id, 2000);
  // a rootless container's pasta ends with stop, not only when the monitor's container-exited runs
  if (record.net?.mode === 'pasta') releaseNetwork(e, record.id);
  containerEvent(e, record, 'stop');
  return record;
}

/** `kill`: a signal to the container's init. */
export function kill(e: EngineCore, ref: string, signal: string): ContainerRecord {
  const record = e.containers.find(ref);
  const v = e.view(record);
  if (!v.state.Running) {
    throw new MobyDickError('USAGE', `Cannot kill container: ${ref}: container ${record.id} is not running`, { container: ref });
  }
  record.state.stoppedByUser = true;
  e.containers.save(record);
  e.runtime.kill(record.id, signal as NodeJS.Signals);
  containerEvent(e, record, 'kill', { signal: signalNumber(signal) });
  return record;
}

/**
 * The runtime's delete --force, also of a state directory without its
 * state (a CLI killed between claiming the id and writing the state):
 * delete removes such a directory and then says the container does not
 * exist, which is what rm wants.
 */
function deleteInRuntime(e: EngineCore, id: string): void {
  try {
    e.runtime.delete(id, true);
  } catch (err) {
    if (existsSync(e.runtime.store.dir(id))) throw err;
  }
}

/** `rm`: a running container only with FORCE; VOLUMES also removes its anonymous volumes. */
export function remove(e: EngineCore, ref: string, force = false, volumes = false): ContainerRecord {
  const record = e.containers.find(ref);
  const v = e.view(record);
  if (v.state.Running && !force) {
    throw new MobyDickError('USAGE', `You cannot remove a ${v.state.Paused ? 'paused' : 'running'} container ${record.id}. Stop the container before attempting removal or force remove`, {
      container: ref,
    });
  }
  deleteInRuntime(e, record.id);
  releaseNetwork(e, record.id);
  // what the runtime's state does not cover (a reboot wiped the run root, or a create killed
  // before it recorded its cgroups): the cgroups, and what still runs there
  removeLeftoverCgroups(record.engine.cgroupsPath);
  if (!e.keptCgroupParents?.keeps(record.engine.cgroupsPath)) removeEmptyParent(record.engine.cgroupsPath);
  // one never started has no monitor to write it (a build's COPY container): no 10 ms nap for it
  if (v.state.Status !== 'created') waitExitFile(e, record.id, v.state.Running ? 2000 : 0);
  e.removeDir(v.paths.dir);
  rmSync(v.paths.attachSocket, { force: true });
  rmSync(join(e.runDir, 'locks', record.id), { force: true });
  if (volumes) {
    // an anonymous volume another container has too (--volumes-from) stays, as Docker's
    const others = e.containers.all().filter((c) => c.id !== record.id);
    for (const name of Object.keys(record.volumes)) {
      if (/^[a-f0-9]{64}$/.test(name) && !others.some((c) => Object.hasOwn(c.volumes, name))) e.store.removeTree(join(e.store.root, 'volumes', name));
    }
  }
  e.containers.remove(record.id);
  containerEvent(e, record, 'destroy');
  return record;
}

/** `wait`: blocks until the container ends; its exit code. */
export async function wait(e: EngineCore, ref: string, pollMs = 50): Promise<number> {
  const record = e.containers.find(ref);
  for (;;) {
    const v = e.view(record);
    if (v.state.Status === 'exited') return v.state.ExitCode;
    if (v.state.Status === 'dead') {
      // the runtime sees the process gone before its monitor has drained the last output (up to
      // 2 s: watch.c) and written the exit file: only without one after that is it dead
      // (awaited: the API service serves its other clients meanwhile)
      await waitExitFileAsync(e, record.id, 2500);
      return e.view(record).state.ExitCode;
    }
    if (v.state.Status === 'created') {
      throw new MobyDickError('USAGE', `container ${record.name} is not running`, { container: ref });
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * `exited` with the container's lock held: records an OOM kill, removes
 * the runtime's state and cgroups, then --rm or the restart policy (START
 * starts it again, under the lock this holds).
 */
export async function exitedLocked(e: EngineCore, id: string, start: (id: string) => Promise<unknown>): Promise<void> {
  let record: ContainerRecord;
  try {
    record = e.containers.find(id);
  } catch {
    return; // removed meanwhile
  }
  const rt = runtimeStatus(e, id);
  // handled already (by the CLI that ran it attached, or the monitor), or restarted meanwhile
  if (!rt || rt.status !== 'stopped') return;
  record.state.oomKilled = oomKilled(e, id);
  e.containers.save(record);
  const ended = exitRecord(e.paths(id));
  if (record.state.oomKilled) containerEvent(e, record, 'oom');
  containerEvent(e, record, 'die', { exitCode: String(ended?.exitCode ?? 255) });
  volumeEvents(e, record, 'unmount');
  e.runtime.delete(id, true);
  releaseNetwork(e, id);
  if (record.autoRemove) {
    remove(e, id, true, true); // the parent cgroup tried there, once
    return;
  }
  if (!e.keptCgroupParents?.keeps(record.engine.cgroupsPath)) removeEmptyParent(record.engine.cgroupsPath);
  const exit = exitRecord(e.paths(id));
  if (shouldRestart(record, exit?.exitCode ?? 255)) {
    record.state.restartCount++;
    e.containers.save(record);
    await start(id);
  }
}

/** `pause` / `unpause`: freezes or thaws the container's cgroup (Docker's words when it cannot). */
export function pause(e: EngineCore, ref: string, frozen: boolean, delegation = userDelegation): ContainerRecord {
  const record = e.containers.find(ref);
  const v = e.view(record);
  const id = record.id;
  // an ordinary user's container is frozen in its delegated cgroup; without one it has none
  refuseWithoutDelegation(frozen ? 'pause' : 'unpause', 'it is frozen and thawed through its cgroup.freeze', e.options.rootless ?? isRootless(), delegation);
  if (!v.state.Running) throw new MobyDickError('USAGE', `Container ${id} is not running`, { container: ref });
  if (frozen && v.state.Paused) throw new MobyDickError('USAGE', `Container ${id} is already paused`, { container: ref });
  if (!frozen && !v.state.Paused) throw new MobyDickError('USAGE', `Container ${id} is not paused`, { container: ref });
  e.runtime.pause(id, frozen);
  containerEvent(e, record, frozen ? 'pause' : 'unpause');
  return record;
}

/** Whether the kernel's OOM killer killed a process of the container (v1 memory.oom_control, v2 memory.events). */
function oomKilled(e: EngineCore, id: string): boolean {
  try {
    const state = JSON.parse(readFileSync(join(e.runtime.store.dir(id), 'state.json'), 'utf8')) as { cgroup?: { byController?: Record<string, string> } };
    const memory = state.cgroup?.byController?.memory ?? state.cgroup?.byController?.unified;
    if (!memory) return false;
    for (const [file, key] of [['memory.oom_control', 'oom_kill'], ['memory.events', 'oom_kill']] as const) {
      const p = join(memory, file);
      if (!existsSync(p)) continue;
      const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(p, 'utf8'));
      if (m && Number(m[1]) > 0) return true;
    }
  } catch {
    /* no state: nothing to tell */
  }
  return false;
}
