/**
 * What the engine's concerns share (container-lifecycle.ts,
 * container-networking.ts, container-create.ts, container-mounts.ts): the
 * Engine (engine.ts) is an EngineCore, and each concern is a set of
 * functions given it. Its collaborators — the OCI runtime, the networks and
 * the addon's syscalls — are passed to the Engine (EngineOptions), today's
 * real ones by default, so the lifecycle's decisions are unit-tested with
 * fakes (engine.test.ts).
 */
import type { KeptCgroupParents } from './kept-cgroup-parent.js';
import type { PullProgress } from '../images/pull.js';
import type { ImageStore } from '../images/store/image-store.js';
import type { Networks } from '../network/networks.js';
import type { OciRuntime } from '../oci/lifecycle.js';
import type { StateStore } from '../oci/state.js';
import type { LayerSyscalls } from '../helper/layer-syscalls.js';
import type { NativeAddon } from '../helper/native-addon.js';
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import type { ContainerRecord, ContainerTable } from './container-table.js';
import type { ContainerPaths } from './paths.js';
import type { State } from './status.js';

/** The engine's view of the OCI runtime: the OciRuntime methods the engine and its commands call (OciRuntime in-process by default; a fake in engine.test.ts). */
export type EngineOciRuntime = Pick<OciRuntime, 'create' | 'start' | 'state' | 'kill' | 'delete' | 'pause' | 'update' | 'ps' | 'stats' | 'exec'> & {
  readonly store: Pick<StateStore, 'dir'>;
};

/** The store's networks as the engine and the network commands use them (Networks by default). */
export type EngineNetworks = Pick<
  Networks,
  | 'table' | 'find' | 'list' | 'create' | 'remove' | 'prune' | 'prepare' | 'plug' | 'release'
  | 'refreshHosts' | 'rewriteHostsOf' | 'unplug' | 'connectRunning' | 'endpoints' | 'ports' | 'holders'
>;

/** The addon's calls the engine makes: a container's lock, reading image files (the user lookup), a stopped container's root (cp, export). */
export type EngineSyscalls = Pick<NativeAddon, 'lock' | 'mountOverlay' | 'attachBind'> & LayerSyscalls;

export interface EngineOptions {
  /** the command the monitor runs when a container ends, the container's ID appended */
  exitCommand?: readonly string[];
  /** the command the monitor runs for each health check, the container's ID appended (no checks without it) */
  healthCommand?: readonly string[];
  /** where a pull of a missing image reports */
  progress?: PullProgress;
  warn?: (message: string) => void;
  /** its containers are an ordinary user's (engine/rootless-container.ts); default: whether this process runs as one */
  rootless?: boolean;
  /**
   * how a rootless engine runs its hidden commands in the user's user
   * namespace (the container's half of cp, diff, commit and export:
   * container-files.ts); needed only by a rootless engine
   */
  namespace?: NamespaceCommands;
  /** draws a name for a container created without one (Docker-like adjective_noun by default) */
  names?: () => string;
  /** the OCI runtime (default: OciRuntime over the run root's oci/ state) */
  runtime?: EngineOciRuntime;
  /** the networks (default: Networks in the store's database, made on first use) */
  networks?: EngineNetworks;
  /** the addon's syscalls (default: nativeAddon(), loaded on first use) */
  syscalls?: EngineSyscalls;
}

export interface ContainerView {
  record: ContainerRecord;
  state: State;
  paths: ContainerPaths;
  pid: number;
  /** the store is an ordinary user's (rootless): its layers' owners are in the user's subordinate ids, its opaque xattr is user.* (images/overlay-xattrs.ts) */
  rootless: boolean;
}

/** The Engine as its concerns see it. */
export interface EngineCore {
  readonly store: ImageStore;
  readonly containers: ContainerTable;
  readonly runtime: EngineOciRuntime;
  readonly networks: EngineNetworks;
  readonly syscalls: EngineSyscalls;
  readonly options: EngineOptions;
  /** the run root (the runtime's state, locks, attach sockets, the seccomp cache) */
  readonly runDir: string;
  paths(id: string): ContainerPaths;
  view(record: ContainerRecord): ContainerView;
  locked<T>(id: string, fn: () => Promise<T> | T): Promise<T>;
  /** removes a removed container's directory: at once, or moved aside and removed in the background (removeInBackground) */
  removeDir(dir: string): void;
  /** a long-running engine's parent cgroups, kept while it runs (keepCgroupParents); none: removed with the last container */
  readonly keptCgroupParents?: KeptCgroupParents;
}
