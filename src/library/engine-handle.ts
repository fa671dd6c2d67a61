/**
 * openEngine(): the engine the CLI and the Engine API service use (src/engine/engine.ts),
 * opened in-process by a Node program, behind a small typed facade. It adds no engine
 * logic: each method is one or two Engine calls, with the CLI's defaults for what a
 * caller leaves out (a bridge network, the image's command and environment, a
 * generated name).
 *
 *   import { openEngine } from 'moby-dick';
 *   const engine = await openEngine({ root: '/var/lib/moby-dick' });
 *   try {
 *     const c = await engine.run({ image: 'busybox', command: ['echo', 'hi'], network: 'none' });
 *     console.log(await c.wait(), await engine.output(c.id)); // { exitCode: 0 } { stdout: 'hi\n', stderr: '' }
 *     engine.remove(c.id);
 *   } finally {
 *     await engine.close();
 *   }
 *
 * A started container stays attached to this process (as `moby-dick run`
 * does): when it ends, the engine's exit work (its cgroups, its runtime
 * state, the restart policy) is done here, and the monitor starts no
 * `moby-dick container-exited` process. When this process goes first, the
 * monitor runs that command itself (the package's CLI, build/moby-dick), so
 * a container never outlives its bookkeeping.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { commitContainer, containerChanges } from '../build/container-commit.js';
import { attach, type Attachment } from '../engine/attach.js';
import type { BackgroundRemoval } from '../engine/background-removal.js';
import type { KeptCgroupParents } from '../engine/kept-cgroup-parent.js';
import type { ContainerRecord } from '../engine/container-table.js';
import { copyFiles, exportFiles } from '../engine/container-files.js';
import { parseCopyArg } from '../engine/copy.js';
import { Engine, type ContainerView } from '../engine/engine.js';
import { execUser } from '../engine/exec-user.js';
import { readLogs } from '../engine/logs.js';
import { runRoot } from '../engine/paths.js';
import type { ContainerStatus } from '../engine/status.js';
import { MobyDickError } from '../errors.js';
import type { Container } from '../helper/container.js';
import { parseExitRecord } from '../helper/monitor-ops.js';
import { loadImages } from '../images/archive/load.js';
import { pullImage } from '../images/pull.js';
import { ImageStore } from '../images/store/image-store.js';
import { layerUnpacker } from '../images/unpack/layer-unpacker.js';
import { rootlessStoreParts } from '../jail/rootless-store.js';
import { cliInUserNamespace } from '../jail/userns-run.js';
import { isRootless } from '../rootless/rootless.js';
import { signalName } from '../linux/signals.js';
import { type ContainerOptions, createRequestOf, type ResourceOptions, resourceLimits, type RestartOptions, restartPolicy } from './container-options.js';

export type { ContainerOptions, MountOptions, PortOptions, ResourceOptions, RestartOptions } from './container-options.js';
export { createRequestOf } from './container-options.js';

export interface OpenEngineOptions {
  /** the store (images, containers, volumes); default $MOBY_DICK_ROOT or /var/lib/moby-dick, as the CLI's */
  root?: string;
  /** how to run the package's CLI, for the monitor's `container-exited` when this process is gone (default: build/moby-dick beside this module) */
  cli?: readonly string[];
  /** where the engine's warnings go (default: stderr, as the CLI's) */
  warn?: (message: string) => void;
}

/** How a container ended: its exit code (128+N when signal N ended it) and that signal's name. */
export interface ContainerExit {
  exitCode: number;
  /** e.g. "SIGKILL"; absent when the command exited by itself */
  signal?: string;
}

/** A container as `ps -a` shows it. */
export interface ContainerSummary {
  id: string;
  name: string;
  /** the image as given to create */
  image: string;
  imageId: string | null;
  status: ContainerStatus;
  running: boolean;
  /** its exit code once it has ended (0 before) */
  exitCode: number;
  /** its pid 1 on the host while it runs; 0 otherwise */
  pid: number;
  created: string;
  labels: Record<string, string>;
  /** how often its restart policy started it again */
  restartCount: number;
}

/** A published port as the engine bound it (`docker port`): the host's address ('' every one) and port. */
export interface PublishedPort {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
}

/**
 * The streams a started container is attached to (Docker's `run` without
 * -d): its output is written to stdout and stderr (with a tty, all of it to
 * stdout); stdin is sent to it (created with openStdin), and its end closes
 * the container's stdin. Absent: the output is only logged.
 */
export interface AttachStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/** What update() changes of a container: its limits (applied at once while it runs) and its restart policy. */
export interface UpdateOptions {
  resources?: Omit<ResourceOptions, 'ulimits' | 'oomKillDisable'>;
  restart?: RestartOptions;
}

/** How copy() copies, as `docker cp`'s flags. */
export interface CopyOptions {
  /** keep the files' owners (-a) */
  archive?: boolean;
  /** follow a symlink given as the source (-L) */
  followLink?: boolean;
  /** the tar a copy from "-" extracts into the container */
  input?: Readable;
  /** where a copy to "-" writes the tar (not ended) */
  output?: Writable;
}

/** One path a container changed (`docker diff`): A added, C changed, D deleted. */
export interface FileChange {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/** What commit() puts on the new image, as `docker commit`'s flags. */
export interface CommitOptions {
  /** REPOSITORY[:TAG] to tag it with */
  reference?: string;
  /** the history entry's comment (-m) */
  message?: string;
  /** "Name <email>" (-a) */
  author?: string;
  /** Dockerfile instructions for its config (-c: CMD, ENV, LABEL, ...) */
  changes?: readonly string[];
  /** pause a running container meanwhile (default true; an ordinary user's needs a delegated cgroup for it) */
  pause?: boolean;
}

export interface ImageSummary {
  /** sha256:<config digest> */
  id: string;
  /** full names: docker.io/library/busybox:latest */
  tags: string[];
  size: number;
  created: string | undefined;
}

export interface ExecOptions {
  env?: readonly string[];
  workdir?: string;
  user?: string;
}

export interface ExecResult extends ContainerExit {
  stdout: string;
  stderr: string;
}

export interface LogsOptions {
  /** only the last N lines */
  tail?: number;
  /** go on until the container ends */
  follow?: boolean;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** the line, with its "\n" */
  text: string;
  /** RFC 3339, UTC */
  time: string;
}

/** A container this handle started: wait() resolves once it has ended and the engine's exit work is done. */
export interface StartedContainer {
  id: string;
  name: string;
  /** its pid 1 on the host */
  pid: number;
  wait(): Promise<ContainerExit>;
  /** its terminal's size (a tty container), as the window's */
  resize(rows: number, cols: number): void;
}

export interface EngineHandle {
  /** the store's directory */
  readonly root: string;
  /** pulls REFERENCE (busybox, localhost:5000/app:1) from its registry; the image's ID */
  pull(reference: string): Promise<{ id: string }>;
  /** loads a docker-archive or OCI layout tarball (`docker save`); the images it held */
  load(archivePath: string): Promise<{ id: string; tags: string[] }[]>;
  images(): ImageSummary[];
  /** records a container (nothing runs yet) */
  create(options: ContainerOptions): Promise<{ id: string; name: string }>;
  /** starts a created (or ended) container, attached to STREAMS (its output is logged all the same) */
  start(ref: string, streams?: AttachStreams): Promise<StartedContainer>;
  /** create, then start */
  run(options: ContainerOptions, streams?: AttachStreams): Promise<StartedContainer>;
  /** until the container has ended; how it ended */
  wait(ref: string): Promise<ContainerExit>;
  /** its log, line by line */
  logs(ref: string, options?: LogsOptions): AsyncIterable<LogLine>;
  /** its whole log so far (or until it ends, with follow), stdout and stderr apart */
  output(ref: string, options?: LogsOptions): Promise<{ stdout: string; stderr: string }>;
  /** runs COMMAND in the running container; its output and how it ended */
  exec(ref: string, command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** its stop signal (SIGTERM unless the image says), then SIGKILL after TIMEOUT seconds (default its own, 10) */
  stop(ref: string, options?: { timeout?: number; signal?: string }): Promise<void>;
  /** SIGNAL (default SIGKILL) to its pid 1 */
  kill(ref: string, signal?: string): void;
  /** removes it; a running one only with force (killed first); volumes: its anonymous volumes too. Its record goes at once; its directory is moved aside and its files deleted in the background (close() waits for that) */
  remove(ref: string, options?: { force?: boolean; volumes?: boolean }): void;
  inspect(ref: string): ContainerSummary;
  /** its published ports as bound now (host ports the engine picked included); empty when it does not run */
  ports(ref: string): PublishedPort[];
  /** new limits (a running container's cgroups change at once) and restart policy, as `docker update` */
  update(ref: string, options: UpdateOptions): Promise<void>;
  /**
   * copies files between a container and the host as `docker cp`:
   * "CONTAINER:PATH" on one side, a host path (relative: to the process's
   * directory) or "-" (a tar: options.input, options.output) on the other
   */
  copy(source: string, destination: string, options?: CopyOptions): Promise<void>;
  /** what the container changed in its filesystem (`docker diff`) */
  changes(ref: string): Promise<FileChange[]>;
  /** the container's changes as a new image (`docker commit`); its ID */
  commit(ref: string, options?: CommitOptions): Promise<{ id: string }>;
  /** the container's filesystem as a tar written to OUT, not ended (`docker export`) */
  export(ref: string, out: Writable): Promise<void>;
  /** every container, running or not (`ps -a`) */
  list(): ContainerSummary[];
  /**
   * closes the store, once the exit work of containers that just ended is done;
   * containers still running run on (their monitors run `moby-dick container-exited` when they end)
   */
  close(): Promise<void>;
}

/** The package's CLI (build/moby-dick) above this module: build/lib.mjs, or build/tsc/src/library/. */
export function packageCli(from: string = dirname(fileURLToPath(import.meta.url))): string[] {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'moby-dick');
    if (existsSync(candidate) && statSync(candidate).isFile()) return [candidate];
    if (dirname(dir) === dir) break;
  }
  throw new MobyDickError('USAGE', `cannot find the moby-dick CLI (build/moby-dick) above ${from}`, {
    hint: 'build the package (make build), or give openEngine({ cli: [...] })',
  });
}

/**
 * ExitRecord's signal (a name, a number, or null) as a name. Under an init
 * (INIT), 128+N is the signal N that ended the command (native/src/init.c
 * exits so, as tini): named too, as the jail's ExitStatus does.
 */
export function exitOf(exitCode: number, signal: string | number | null | undefined, init = false): ContainerExit {
  if (signal !== null && signal !== undefined) return { exitCode, signal: typeof signal === 'number' ? signalName(signal) : signal };
  const n = exitCode - 128;
  return init && n > 0 && n < 65 ? { exitCode, signal: signalName(n) } : { exitCode };
}

function summaryOf(v: ContainerView): ContainerSummary {
  const r: ContainerRecord = v.record;
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    imageId: r.imageId,
    status: v.state.Status,
    running: v.state.Running,
    exitCode: v.state.ExitCode,
    pid: v.pid,
    created: r.created,
    labels: { ...r.labels },
    restartCount: r.state.restartCount,
  };
}

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

async function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  let s = '';
  for await (const chunk of stream ?? []) s += String(chunk);
  return s;
}

/** A container started here: the attachment to its monitor, and its exit once the engine's exit work is done. */
interface Attached {
  attachment: Attachment;
  /** its end has come: the exit work is under way here */
  ending: boolean;
  ended: Promise<ContainerExit>;
}

class Handle implements EngineHandle {
  private readonly attached = new Map<string, Attached>();
  private closing: Promise<void> | undefined;

  /** removed containers' directories go in the thread pool, after remove() has answered (as the API service's) */
  private readonly removals: BackgroundRemoval;

  constructor(
    private readonly engine: Engine,
    private readonly store: ImageStore,
  ) {
    this.removals = engine.removeInBackground();
    this.cgroupParents = engine.keepCgroupParents();
  }

  /** the engine's parent cgroup, made once and kept until close() (kept-cgroup-parent.ts) */
  private readonly cgroupParents: KeptCgroupParents;

  get root(): string {
    return this.store.root;
  }

  async pull(reference: string): Promise<{ id: string }> {
    const r = await pullImage(this.store, reference);
    return { id: r.imageId };
  }

  async load(archivePath: string): Promise<{ id: string; tags: string[] }[]> {
    const loaded = await loadImages(this.store, createReadStream(archivePath), { source: archivePath });
    return loaded.map((l) => ({ id: l.id, tags: l.tags }));
  }

  images(): ImageSummary[] {
    return this.store.listImages().map((i) => ({ id: i.id, tags: [...i.tags], size: i.size, created: i.created }));
  }

  async create(options: ContainerOptions): Promise<{ id: string; name: string }> {
    const r = await this.engine.create(createRequestOf(options));
    return { id: r.id, name: r.name };
  }

  async start(ref: string, streams: AttachStreams = {}): Promise<StartedContainer> {
    let attachment: Attachment | undefined;
    let v: ContainerView;
    try {
      v = await this.engine.start(ref, async (created) => {
        // attached before it starts: its end is seen here, and the exit work done here
        attachment = attach(created.paths.attachSocket, {
          stdout: streams.stdout ?? discard(),
          stderr: streams.stderr ?? discard(),
          ...(streams.stdin && created.record.openStdin ? { stdin: streams.stdin, closeStdin: true } : {}),
          tty: created.record.engine.tty,
          detachKeys: null,
          handlesExit: true,
        });
        await attachment.connected;
      });
    } catch (e) {
      attachment?.close();
      throw e;
    }
    const a = attachment!;
    const id = v.record.id;
    const init = v.record.init;
    const entry: Attached = { attachment: a, ending: false, ended: Promise.resolve({ exitCode: 0 }) };
    entry.ended = (async (): Promise<ContainerExit> => {
      try {
        const end = await a.done;
        if (end.kind === 'detached') {
          throw new MobyDickError('USAGE', `the engine was closed while container ${id} ran: it runs on`, {
            container: id,
            hint: 'wait for it before close(), or open the engine again and wait(id)',
          });
        }
        entry.ending = true;
        // the monitor let go of us (or died): the container's record tells how it ends
        if (end.kind === 'disconnected') return await this.recordedExit(id);
        await this.engine.exited(id);
        await a.exitHandled();
        if (end.exit) return exitOf(end.exit.exitCode, end.exit.signal, init);
        return exitOf(this.engine.inspect(id).state.ExitCode, undefined, init);
      } finally {
        a.close();
        this.attached.delete(id);
      }
    })();
    entry.ended.catch(() => {});
    this.attached.set(id, entry);
    return { id, name: v.record.name, pid: v.pid, wait: () => entry.ended, resize: (rows, cols) => a.resize(rows, cols) };
  }

  async run(options: ContainerOptions, streams?: AttachStreams): Promise<StartedContainer> {
    const { id } = await this.create(options);
    return this.start(id, streams);
  }

  async wait(ref: string): Promise<ContainerExit> {
    const id = this.engine.containers.find(ref).id;
    const mine = this.attached.get(id);
    if (mine) return mine.ended;
    return this.recordedExit(id);
  }

  /** Until the container has ended, by its record (the runtime's state and the monitor's exit file). */
  private async recordedExit(id: string): Promise<ContainerExit> {
    const exitCode = await this.engine.wait(id);
    const v = this.engine.inspect(id);
    let signal: string | number | null = null;
    try {
      signal = parseExitRecord(readFileSync(v.paths.exitFile, 'utf8'))?.signal ?? null;
    } catch {
      /* no exit file (dead): the code alone */
    }
    return exitOf(exitCode, signal, v.record.init);
  }

  async *logs(ref: string, options: LogsOptions = {}): AsyncIterable<LogLine> {
    const v = this.engine.inspect(ref);
    const entries = readLogs(v.paths.log, {
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.follow && v.state.Running ? { follow: true, exitFile: v.paths.exitFile } : {}),
    });
    for await (const e of entries) yield { stream: e.stream, text: e.log, time: e.time };
  }

  async output(ref: string, options: LogsOptions = {}): Promise<{ stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    for await (const l of this.logs(ref, options)) {
      if (l.stream === 'stderr') stderr += l.text;
      else stdout += l.text;
    }
    return { stdout, stderr };
  }

  async exec(ref: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const v = this.engine.inspect(ref);
    if (!v.state.Running) throw new MobyDickError('USAGE', `container ${v.record.id} is not running`, { container: ref });
    if (command.length === 0) throw new MobyDickError('USAGE', 'exec needs a command', { container: ref });
    const user = options.user === undefined ? undefined : execUser(v, options.user);
    let container: Container | undefined;
    let output: Promise<[string, string]> = Promise.resolve(['', '']);
    await this.engine.runtime.exec(v.record.id, {
      args: [...command],
      ...(options.env ? { env: [...options.env] } : {}),
      ...(options.workdir ? { cwd: options.workdir } : {}),
      ...(user ? { user } : {}),
      tty: false,
      stdio: 'pipe',
      onContainer: (c) => {
        container = c;
        output = Promise.all([collect(c.stdout), collect(c.stderr)]);
      },
    });
    const status = await container!.wait();
    const [stdout, stderr] = await output;
    return { ...exitOf(status.exitCode, status.signal), stdout, stderr };
  }

  async stop(ref: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    const r = await this.engine.stop(ref, options.timeout, options.signal);
    await this.attached.get(r.id)?.ended.catch(() => {});
  }

  kill(ref: string, signal = 'SIGKILL'): void {
    this.engine.kill(ref, signal);
  }

  remove(ref: string, options: { force?: boolean; volumes?: boolean } = {}): void {
    this.engine.remove(ref, options.force === true, options.volumes === true);
  }

  inspect(ref: string): ContainerSummary {
    return summaryOf(this.engine.inspect(ref));
  }

  ports(ref: string): PublishedPort[] {
    const v = this.engine.inspect(ref);
    if (!v.state.Running) return [];
    return this.engine.networkFacts(v).ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort }));
  }

  async update(ref: string, options: UpdateOptions): Promise<void> {
    const { ulimits: _none, ...limits } = resourceLimits(options.resources);
    await this.engine.update(ref, { ...limits, ...(options.restart ? { restart: restartPolicy(options.restart) } : {}) });
  }

  list(): ContainerSummary[] {
    return this.engine.list().map(summaryOf);
  }

  // an ordinary user's container: these go through its user namespace (engine/container-files.ts)
  async copy(source: string, destination: string, options: CopyOptions = {}): Promise<void> {
    await copyFiles(this.engine, parseCopyArg(source), parseCopyArg(destination), {
      archive: options.archive === true,
      followLink: options.followLink === true,
      ...(options.input ? { stdin: options.input } : {}),
      ...(options.output ? { stdout: options.output } : {}),
      cwd: process.cwd(),
    });
  }

  async changes(ref: string): Promise<FileChange[]> {
    return (await containerChanges(this.engine, ref)).map((c) => ({ kind: c.kind, path: c.path }));
  }

  async commit(ref: string, options: CommitOptions = {}): Promise<{ id: string }> {
    const id = await commitContainer(this.engine, ref, {
      ...(options.reference !== undefined ? { reference: options.reference } : {}),
      ...(options.message !== undefined ? { message: options.message } : {}),
      ...(options.author !== undefined ? { author: options.author } : {}),
      changes: options.changes ?? [],
      pause: options.pause ?? true,
    });
    return { id };
  }

  async export(ref: string, out: Writable): Promise<void> {
    await exportFiles(this.engine, ref, out);
  }

  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const running = [...this.attached.values()];
    // the exit work under way finishes; the containers that run on are let go (their monitors do it when they end)
    await Promise.allSettled(running.filter((a) => a.ending).map((a) => a.ended));
    // a hang-up without exitHandled(): the monitor runs its exit command when the container ends
    for (const a of running) if (!a.ending) a.attachment.detach();
    await Promise.allSettled(running.map((a) => a.ended));
    await this.removals.settled();
    this.cgroupParents.release();
    this.store.close();
  }
}

/** Opens the store at ROOT and the engine on it. */
export async function openEngine(options: OpenEngineOptions = {}): Promise<EngineHandle> {
  const cli = options.cli ?? packageCli();
  const warn = options.warn ?? ((m: string) => void process.stderr.write(`moby-dick: warning: ${m}\n`));
  // an ordinary user's store: its layers unpacked and removed in the user namespace, by the package's CLI
  const parts = isRootless() ? rootlessStoreParts(cli, warn) : { unpacker: layerUnpacker };
  const store = new ImageStore({ ...(options.root !== undefined ? { root: options.root } : {}), ...parts });
  try {
    const roots = ['--root', store.root, '--run-root', runRoot(store.root)];
    const engine = new Engine(store, {
      exitCommand: [...cli, 'container-exited', ...roots],
      healthCommand: [...cli, 'container-health', ...roots],
      namespace: cliInUserNamespace(cli),
      warn,
    });
    return new Handle(engine, store);
  } catch (e) {
    store.close();
    throw e;
  }
}
