/**
 * The engine: Docker's container lifecycle without a daemon. Every command
 * is a short-lived process; a container lives on under its monitor (the C
 * helper's watch.c), which keeps its stdio, log, attach socket and exit
 * file. The engine records containers in the store's database, builds each
 * one's OCI config (spec-builder.ts) and runs it with the OCI runtime
 * in-process (OciRuntime, as Docker runs runc), the root an overlay of the
 * image's layers and the container's own, mounted inside the container.
 * When a container ends, its monitor runs `moby-dick container-exited ID`
 * (exited()), which records an OOM kill, removes its cgroups, and applies
 * --rm and the restart policy; unless an attached CLI did exited() itself
 * and confirmed it (AttachOptions.handlesExit). A container with health
 * checks has its monitor run `moby-dick container-health ID` for each
 * (health-check.ts; the state machine in health.ts).
 *
 * This class is the facade the CLI and the Engine API call; each concern
 * is a module of its own, given the Engine as an EngineCore
 * (engine-core.ts): container-create.ts (create), container-lifecycle.ts
 * (start, stop, kill, pause, remove, wait, exited; restart-policy.ts
 * decides), container-update.ts (update; update-limits.ts decides),
 * container-networking.ts (--network, network connect and disconnect,
 * what inspect shows), container-mounts.ts (binds, volumes,
 * tmpfs), container-lock.ts (a container's lock). The runtime, the
 * networks and the addon's syscalls are passed in (EngineOptions), today's
 * real ones by default.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { ImageStore } from '../images/store/image-store.js';
import { Networks } from '../network/networks.js';
import { OciRuntime } from '../oci/lifecycle.js';
import { StateStore } from '../oci/state.js';
import { nativeAddon } from '../helper/native-addon.js';
import { BackgroundRemoval } from './background-removal.js';
import { KeptCgroupParents } from './kept-cgroup-parent.js';
import { create, NAME } from './container-create.js';
import { ContainerLocks } from './container-lock.js';
import * as lifecycle from './container-lifecycle.js';
import * as networking from './container-networking.js';
import { type ContainerRecord, ContainerTable } from './container-table.js';
import { containerEvent } from './events.js';
import { update, type UpdateResult } from './container-update.js';
import type { UpdateRequest } from './update-limits.js';
import type { CreateRequest } from './create-request.js';
import type { ContainerView, EngineCore, EngineNetworks, EngineOciRuntime, EngineOptions, EngineSyscalls } from './engine-core.js';
import type { NetworkFacts } from './network-inspect.js';
import { containerPaths, type ContainerPaths, runRoot } from './paths.js';

export type { CreateRequest, VolumeRequest } from './create-request.js';
export type { UpdateRequest } from './update-limits.js';
export type { UpdateResult } from './container-update.js';
export type { ContainerView, EngineNetworks, EngineOciRuntime, EngineOptions, EngineSyscalls } from './engine-core.js';
export { shouldRestart } from './restart-policy.js';

export class Engine implements EngineCore {
  readonly containers: ContainerTable;
  readonly runtime: EngineOciRuntime;
  readonly runDir: string;
  private readonly locks: ContainerLocks;

  constructor(
    readonly store: ImageStore,
    readonly options: EngineOptions = {},
  ) {
    this.containers = new ContainerTable(store.db);
    this.runDir = runRoot(store.root);
    this.stateStore = options.runtime ? undefined : new StateStore(join(this.runDir, 'oci'));
    this.runtime = options.runtime ?? new OciRuntime(this.stateStore!, options.warn);
    this.locks = new ContainerLocks(join(this.runDir, 'locks'), () => this.syscalls, (id) => this.exists(id));
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.store.root, this.runDir, id);
  }

  private background?: BackgroundRemoval;
  /** the runtime's state, when the engine made the runtime (its removals go in the background too) */
  private readonly stateStore: StateStore | undefined;

  /**
   * From now on a removed container's directory, and the runtime's state
   * of an ended one, are moved aside and removed in the background (a
   * long-running process: the Engine API's service, the library); what an
   * earlier one left is removed too. Await settled() before exiting.
   */
  removeInBackground(): BackgroundRemoval {
    if (!this.background) {
      this.background = new BackgroundRemoval(join(this.store.root, 'removing'));
      this.background.sweep();
      if (this.stateStore) this.stateStore.removal = this.background;
    }
    return this.background;
  }

  keptCgroupParents?: KeptCgroupParents;

  /**
   * From now on the engine's parent cgroup is made once and kept while
   * this process runs, not tried at each container's exit and removal (a
   * long-running process: the library); release() it at the end.
   */
  keepCgroupParents(): KeptCgroupParents {
    this.keptCgroupParents ??= new KeptCgroupParents();
    return this.keptCgroupParents;
  }

  /** how many holdCgroupParents() are not released yet */
  private parentHolds = 0;

  /**
   * The engine's parent cgroup kept from now until the returned release()
   * (a build, whose step containers come one after the other): no
   * container's create makes it again and no container's exit and removal
   * try it (26 calls a container on a v1 host). The last release lets it
   * go where it is empty, as a one-shot CLI's last container would. An
   * engine that keeps it for good (keepCgroupParents) keeps it so.
   */
  holdCgroupParents(): () => void {
    if (this.keptCgroupParents && this.parentHolds === 0) return () => {};
    const kept = this.keepCgroupParents();
    this.parentHolds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.parentHolds > 0) return;
      kept.release();
      this.keptCgroupParents = undefined;
    };
  }

  removeDir(dir: string): void {
    if (this.background) this.background.remove(dir);
    else this.store.removeTree(dir);
  }

  private nets?: EngineNetworks;

  /** The store's networks (made on first use: most commands need none). */
  get networks(): EngineNetworks {
    this.nets ??= this.options.networks ?? new Networks(this.store.db, this.runDir, undefined, this.store.events.recorder);
    return this.nets;
  }

  /** The addon's syscalls (loaded on first use). */
  get syscalls(): EngineSyscalls {
    return this.options.syscalls ?? nativeAddon();
  }

  /** `network connect`: on the network from its next start, and now if it runs. */
  async connect(ref: string, networkRef: string, aliases: readonly string[]): Promise<void> {
    return networking.connect(this, ref, networkRef, aliases);
  }

  /** `network disconnect`: off the network now and at its next starts. */
  async disconnect(ref: string, networkRef: string): Promise<void> {
    return networking.disconnect(this, ref, networkRef);
  }

  /** What `inspect` and `port` show of a container's networking. */
  networkFacts(v: ContainerView): NetworkFacts {
    return networking.networkFacts(this, v);
  }

  /** Everything container ID holds on networks: veths, addresses, ports; its peers' hosts files then. */
  releaseNetwork(id: string): void {
    networking.releaseNetwork(this, id);
  }

  /**
   * FN holding the container's lock (container-lock.ts): the monitor's
   * container-exited and a user's stop must not interleave, nor a start and
   * a `cp` into the stopped container. Re-entrant within this process.
   */
  async locked<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    return this.locks.locked(id, fn);
  }

  private exists(id: string): boolean {
    try {
      return this.containers.find(id).id === id;
    } catch {
      return false;
    }
  }

  /** `create`: records the container and makes its writable layer; nothing runs yet. */
  async create(req: CreateRequest): Promise<ContainerRecord> {
    return create(this, req);
  }

  view(record: ContainerRecord): ContainerView {
    return lifecycle.viewOf(this, record);
  }

  inspect(ref: string): ContainerView {
    return this.view(this.containers.find(ref));
  }

  list(): ContainerView[] {
    return this.containers.all().map((r) => this.view(r));
  }

  /**
   * Releases the network resources of containers that hold some but do not
   * run: their monitor was killed, or the host went down, so no
   * container-exited ran (`ps` and the network commands call this, so that
   * they tell the truth).
   */
  async releaseStaleNetworks(): Promise<void> {
    return networking.releaseStaleNetworks(this, (id) => this.exists(id));
  }

  /**
   * `start`: the container's OCI config from its record, the runtime's create
   * with a monitor, then BEFORE_START (attach here, so no output is missed),
   * then the runtime's start. A container that ran before starts afresh.
   */
  async start(ref: string, beforeStart?: (v: ContainerView) => Promise<void> | void, explain?: lifecycle.StartExplain): Promise<ContainerView> {
    const found = this.containers.find(ref);
    return this.locked(found.id, () => lifecycle.startLocked(this, found.id, beforeStart, explain));
  }

  /** `stop`: the stop signal (or SIGNAL), then SIGKILL after TIMEOUT seconds, as Docker. */
  async stop(ref: string, timeout?: number, signal?: string): Promise<ContainerRecord> {
    return lifecycle.stop(this, ref, timeout, signal);
  }

  /** `kill`: a signal to the container's init. */
  kill(ref: string, signal: string): ContainerRecord {
    return lifecycle.kill(this, ref, signal);
  }

  /** `rm`: a running container only with FORCE; VOLUMES also removes its anonymous volumes. */
  remove(ref: string, force = false, volumes = false): ContainerRecord {
    // under the container's lock: a container-exited of the same container (the monitor's, or the
    // API service's) deletes its runtime state too, and one of two deletes at once fails
    const found = this.containers.find(ref);
    return this.locks.lockedSync(found.id, () => lifecycle.remove(this, ref, force, volumes));
  }

  /** `wait`: blocks until the container ends; its exit code. */
  async wait(ref: string, pollMs = 50): Promise<number> {
    return lifecycle.wait(this, ref, pollMs);
  }

  /**
   * Run by the monitor when the container has ended (`moby-dick
   * container-exited ID`): records an OOM kill, removes the runtime's state
   * and cgroups, then --rm or the restart policy.
   */
  async exited(id: string): Promise<void> {
    // handled already (the CLI that ran it attached does it too): touch nothing
    if (!existsSync(this.paths(id).dir) || lifecycle.runtimeStatus(this, id)?.status !== 'stopped') return;
    await this.locked(id, () => lifecycle.exitedLocked(this, id, (cid) => this.start(cid)));
  }

  /** `pause` / `unpause`: freezes or thaws the container's cgroup (Docker's words when it cannot). */
  pause(ref: string, frozen: boolean): ContainerRecord {
    return lifecycle.pause(this, ref, frozen);
  }

  /**
   * `update`: new limits (cgroups of a running container changed through the
   * runtime) and restart policy, kept in the record; Docker's checks and words.
   */
  async update(ref: string, req: UpdateRequest): Promise<UpdateResult> {
    return update(this, ref, req);
  }

  /**
   * `restart`: stop (the stop signal, SIGKILL after TIMEOUT), then start. The
   * start holds the container's lock, so the monitor's container-exited of
   * the stopped run cannot interleave with it. BEFORE_START as start's.
   */
  async restart(ref: string, timeout?: number, signal?: string, beforeStart?: (v: ContainerView) => Promise<void> | void): Promise<ContainerView> {
    const record = await this.stop(ref, timeout, signal);
    const v = await this.locked(record.id, () => this.start(record.id, beforeStart));
    containerEvent(this, v.record, 'restart');
    return v;
  }

  /** `rename`: the database's UNIQUE name decides a race; Docker's errors. */
  async rename(ref: string, name: string): Promise<ContainerRecord> {
    if (ref === '' || name === '') throw new MobyDickError('USAGE', 'Neither old nor new names may be empty', { container: ref });
    const wanted = name.startsWith('/') ? name.slice(1) : name;
    if (!NAME.test(wanted)) throw new MobyDickError('USAGE', `Invalid container name (${wanted}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { container: wanted });
    const found = this.containers.find(ref);
    return this.locked(found.id, () => {
      const record = this.containers.find(found.id);
      if (record.name === wanted) throw new MobyDickError('USAGE', 'Renaming a container with the same name as its current name', { container: ref });
      const oldName = record.name;
      this.containers.rename(record, wanted);
      containerEvent(this, record, 'rename', { oldName });
      return record;
    });
  }
}
