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
 * and confirmed it (AttachOptions.handlesExit).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { readImageFile } from '../images/image-files.js';
import { findImage } from '../images/lookup.js';
import { type PullProgress, pullImage } from '../images/pull.js';
import { imageEnv, runSettings } from '../images/run-settings.js';
import type { ImageStore } from '../images/store/image-store.js';
import { resolveUser } from '../images/user-lookup.js';
import { sleepSync } from '../linux/sleep.js';
import { checkSpecRules } from '../oci/spec-rules.js';
import { OciRuntime } from '../oci/lifecycle.js';
import { StateStore } from '../oci/state.js';
import { parseExitRecord } from '../runtime/monitor-ops.js';
import { nativeAddon } from '../runtime/native-addon.js';
import { type ContainerRecord, ContainerTable, type RestartPolicy } from './container-table.js';
import { cgroupParent, removeEmptyParent, removeLeftoverCgroups } from './leftovers.js';
import { containerPaths, type ContainerPaths, runRoot } from './paths.js';
import {
  buildSpec, type BindMount, DEFAULT_SHM_SIZE, type EngineContainer, type FilesystemMount, limitsAndSecurity, type ResourceLimits, type SecuritySettings, type TmpfsMount,
} from '../spec/spec-builder.js';
import { containerState, type State } from './status.js';
import { checkVolumeName, VolumeStore } from './volumes.js';
import { hostDevices } from './host-devices.js';
import { heldCapabilities } from '../linux/capabilities.js';
import { parseAddHost } from '../network/container-files.js';
import { type ContainerFiles, type ContainerNetworking, containerFiles, Networks } from '../network/networks.js';
import { publishedPorts } from '../network/port-spec.js';
import { parseIp } from '../network/subnet.js';
import type { NetworkRecord } from '../network/network-table.js';
import type { NetworkFacts } from './network-inspect.js';

export interface VolumeRequest {
  kind: 'bind' | 'volume' | 'tmpfs';
  /** host path (bind), volume name ('' for an anonymous one), unused for tmpfs */
  source: string;
  destination: string;
  readOnly: boolean;
  propagation?: string;
  /** bind from -v: a missing host path is made, as Docker does (--mount refuses it) */
  createSource?: boolean;
  tmpfsOptions?: string[];
}

export interface CreateRequest extends ResourceLimits, SecuritySettings {
  image: string;
  command: readonly string[];
  entrypoint?: string;
  name?: string;
  hostname?: string;
  /** -e and --env-file, expanded: on top of the image's */
  env: readonly string[];
  workdir?: string;
  user?: string;
  tty: boolean;
  openStdin: boolean;
  readOnly: boolean;
  mounts: readonly VolumeRequest[];
  init: boolean;
  labels: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  restart: RestartPolicy;
  autoRemove: boolean;
  log: { maxSize: number; maxFiles: number };
  /** bridge (the default network), none, host, container:NAME, or a network's name or ID */
  network: string;
  /** --network-alias: more names on a user-defined network */
  networkAliases: readonly string[];
  /** -p values, as given */
  publish: readonly string[];
  /** -P: every exposed port on a port the engine picks */
  publishAll: boolean;
  /** --expose, on top of the image's ExposedPorts */
  expose: readonly string[];
  dns: readonly string[];
  dnsSearch: readonly string[];
  dnsOptions: readonly string[];
  /** --add-host NAME:IP */
  addHost: readonly string[];
  shmSize?: number;
}

export interface EngineOptions {
  /** the command the monitor runs when a container ends, the container's ID appended */
  exitCommand?: readonly string[];
  /** where a pull of a missing image reports */
  progress?: PullProgress;
  warn?: (message: string) => void;
  /** draws a name for a container created without one (Docker-like adjective_noun by default) */
  names?: () => string;
}

export interface ContainerView {
  record: ContainerRecord;
  state: State;
  paths: ContainerPaths;
  pid: number;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Docker-like names: adjective_noun, from small lists of our own. */
const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'sharp', 'steady', 'swift', 'tidy', 'vivid', 'wise', 'witty', 'zesty'];
const NOUNS = ['ahab', 'queequeg', 'starbuck', 'stubb', 'flask', 'ishmael', 'pequod', 'tashtego', 'daggoo', 'fedallah', 'pip', 'bildad', 'peleg', 'gabriel', 'bulkington', 'perth', 'fleece', 'elijah', 'mapple', 'rachel'];

function generatedName(): string {
  const b = randomBytes(3);
  return `${ADJECTIVES[b[0]! % ADJECTIVES.length]}_${NOUNS[b[1]! % NOUNS.length]}${b[2]! % 10 === 0 ? '' : b[2]! % 100}`;
}

export class Engine {
  readonly containers: ContainerTable;
  readonly runtime: OciRuntime;
  private readonly run: string;

  constructor(
    readonly store: ImageStore,
    private readonly options: EngineOptions = {},
  ) {
    this.containers = new ContainerTable(store.db);
    this.run = runRoot(store.root);
    this.runtime = new OciRuntime(new StateStore(join(this.run, 'oci')), options.warn);
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.store.root, this.run, id);
  }

  private nets?: Networks;

  /** The store's networks (made on first use: most commands need none). */
  get networks(): Networks {
    this.nets ??= new Networks(this.store.db, this.run);
    return this.nets;
  }

  /** --network and its friends, checked and resolved to IDs. */
  private networking(req: CreateRequest, exposed: readonly string[]): ContainerNetworking {
    const base = {
      networks: [],
      ports: [],
      dns: { servers: [...req.dns], search: [...req.dnsSearch], options: [...req.dnsOptions] },
      extraHosts: [...req.addHost],
    };
    for (const h of req.addHost) parseAddHost(h, '0.0.0.0'); // its syntax, before anything is made
    for (const d of req.dns) if (parseIp(d) === undefined) throw new MobyDickError('USAGE', `invalid IP address: ${d}`, { subject: d, hint: '--dns takes an IPv4 address' });
    const mode = req.network === 'default' ? 'bridge' : req.network;
    if (mode === 'none' || mode === 'host') {
      if (req.publish.length || req.publishAll) this.options.warn?.(`Published ports are discarded when using ${mode} network mode`);
      return { ...base, mode };
    }
    if (mode.startsWith('container:')) {
      if (req.publish.length || req.publishAll) throw new MobyDickError('USAGE', 'conflicting options: port publishing and the container type network mode', { subject: mode });
      if (req.hostname !== undefined) throw new MobyDickError('USAGE', 'conflicting options: hostname and the network mode', { subject: mode });
      return { ...base, mode: 'container', container: this.containers.find(mode.slice('container:'.length)).id };
    }
    const n = this.networks.find(mode);
    if (req.networkAliases.length && n.isDefault) {
      throw new MobyDickError('USAGE', 'network-scoped alias is supported only for containers in user defined networks', { subject: req.networkAliases[0]! });
    }
    return { ...base, mode: 'bridge', networks: [{ id: n.id, aliases: [...req.networkAliases] }], ports: publishedPorts(req.publish, req.publishAll, exposed) };
  }

  /** What container ID's hosts file is made of (for rewriting it when a peer comes or goes). */
  private hostsOf(id: string): { path: string; hostname: string; extraHosts: readonly string[] } | undefined {
    try {
      const r = this.containers.find(id);
      return { path: containerFiles(this.paths(id).dir).hosts, hostname: r.engine.hostname, extraHosts: r.net?.extraHosts ?? [] };
    } catch {
      return undefined;
    }
  }

  private refreshPeers = (networkId: string, except: string): void => {
    this.networks.refreshHosts(networkId, except, (cid) => this.hostsOf(cid));
  };

  /** `network connect`: on the network from its next start, and now if it runs. */
  async connect(ref: string, networkRef: string, aliases: readonly string[]): Promise<void> {
    const found = this.containers.find(ref);
    const n = this.networks.find(networkRef);
    await this.locked(found.id, () => {
      const record = this.containers.find(found.id);
      const net = record.net;
      if (!net || net.mode !== 'bridge') {
        throw new MobyDickError('USAGE', `container ${record.name} cannot be connected to a network: its network mode is ${net?.mode ?? 'none'}`, { container: ref });
      }
      if (net.networks.some((a) => a.id === n.id)) {
        throw new MobyDickError('USAGE', `endpoint with name ${record.name} already exists in network ${n.name}`, { container: ref, subject: n.name });
      }
      if (aliases.length && n.isDefault) throw new MobyDickError('USAGE', 'network-scoped alias is supported only for containers in user defined networks', { subject: aliases[0]! });
      const v = this.view(record);
      if (v.state.Running) {
        this.networks.connectRunning({ id: record.id, name: record.name, hostname: record.engine.hostname, net, dir: v.paths.dir }, v.pid, n, [...aliases]);
      }
      net.networks.push({ id: n.id, aliases: [...aliases] });
      this.containers.save(record);
      if (v.state.Running) this.rewriteHosts(record, n.id);
    });
  }

  /** `network disconnect`: off the network now and at its next starts. */
  async disconnect(ref: string, networkRef: string): Promise<void> {
    const found = this.containers.find(ref);
    const n = this.networks.find(networkRef);
    await this.locked(found.id, () => {
      const record = this.containers.find(found.id);
      const net = record.net;
      if (!net || net.mode !== 'bridge' || !net.networks.some((a) => a.id === n.id)) {
        throw new MobyDickError('USAGE', `container ${record.id} is not connected to network ${n.name}`, { container: ref, subject: n.name });
      }
      const v = this.view(record);
      if (v.state.Running) this.networks.unplug(record.id, v.pid, n);
      net.networks = net.networks.filter((a) => a.id !== n.id);
      this.containers.save(record);
      if (v.state.Running) this.rewriteHosts(record, n.id);
    });
  }

  /** RECORD's own hosts file and those of its peers on NETWORK_ID. */
  private rewriteHosts(record: ContainerRecord, networkId: string): void {
    this.networks.refreshHosts(networkId, '', (cid) => this.hostsOf(cid));
    const own = this.hostsOf(record.id);
    if (own) this.networks.rewriteHostsOf(record.id, own);
  }

  /** What `inspect` and `port` show of a container's networking. */
  networkFacts(v: ContainerView): NetworkFacts {
    const net = v.record.net;
    const networks = new Map<string, NetworkRecord>();
    if (!net || net.mode !== 'bridge') return { endpoints: [], ports: [], networks, pid: v.pid };
    for (const a of net.networks) {
      const n = this.networks.table.tryFind(a.id);
      if (n) networks.set(a.id, n);
    }
    const live = v.state.Running;
    return { endpoints: live ? this.networks.endpoints(v.record.id) : [], ports: live ? this.networks.ports(v.record.id) : [], networks, pid: v.pid };
  }

  /** Everything container ID holds on networks: veths, addresses, ports; its peers' hosts files then. */
  releaseNetwork(id: string): void {
    for (const n of this.networks.release(id)) this.refreshPeers(n, id);
  }

  /**
   * Before the runtime's create: the container's network files, and the
   * network namespace its spec names (a new one unless it joins another's).
   */
  private prepareNetwork(record: ContainerRecord, paths: ContainerPaths): { files?: ContainerFiles; netns: EngineContainer['network'] } {
    const net = record.net;
    if (!net) return { netns: record.engine.network };
    if (net.mode === 'container') {
      const other = this.view(this.containers.find(net.container!));
      if (!other.state.Running) {
        throw new MobyDickError('USAGE', `cannot join network namespace of a non running container: ${other.record.id}`, { container: record.name, hint: `start ${other.record.name} first` });
      }
      return { files: containerFiles(other.paths.dir), netns: { mode: 'path', path: `/proc/${other.pid}/ns/net` } };
    }
    const files = this.networks.prepare({ id: record.id, name: record.name, hostname: record.engine.hostname, net, dir: paths.dir });
    return { files, netns: record.engine.network };
  }

  /** containers whose lock this process holds: locked() inside locked() does not wait for itself */
  private readonly held = new Set<string>();

  /**
   * FN holding the container's lock (a flock under the run root): the
   * monitor's container-exited and a user's stop must not interleave, or a
   * restart could undo the stop; a start and a `cp` into the stopped
   * container (through an overlay of its own) must not either. Re-entrant
   * within this process (restart and the restart policy start under it).
   */
  async locked<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    if (this.held.has(id)) return fn();
    const dir = join(this.run, 'locks');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = nativeAddon().lock(join(dir, id));
    this.held.add(id);
    try {
      return await fn();
    } finally {
      this.held.delete(id);
      // a container removed meanwhile (by FN, or by `rm` before we got here) keeps no lock file
      if (!this.exists(id)) rmSync(join(dir, id), { force: true });
      closeSync(fd);
    }
  }

  private exists(id: string): boolean {
    try {
      return this.containers.find(id).id === id;
    } catch {
      return false;
    }
  }

  private async image(ref: string): Promise<string> {
    const found = findImage(this.store, ref);
    if (found) return found.image.id;
    this.options.progress?.line(`Unable to find image '${ref}' locally`);
    const pulled = await pullImage(this.store, ref, this.options.progress ? { progress: this.options.progress } : {});
    return pulled.imageId;
  }

  private volumeDir(name: string): string {
    return join(this.store.root, 'volumes', name, '_data');
  }

  private mounts(req: CreateRequest, volumes: Record<string, string>): { binds: BindMount[]; tmpfs: TmpfsMount[]; filesystems: FilesystemMount[] } {
    const binds: BindMount[] = [];
    const tmpfs: TmpfsMount[] = [];
    const filesystems: FilesystemMount[] = [];
    for (const m of req.mounts) {
      if (m.kind === 'tmpfs') {
        tmpfs.push({ destination: m.destination, options: [...(m.tmpfsOptions ?? [])] });
        continue;
      }
      let source = m.source;
      if (m.kind === 'volume') {
        // --mount's source comes here unchecked; the name becomes a directory name
        if (source) checkVolumeName(source);
        const name = source || randomBytes(32).toString('hex');
        source = this.volumeDir(name);
        mkdirSync(source, { recursive: true, mode: 0o755 });
        volumes[name] = m.destination;
        const o = new VolumeStore(this.store.root).get(name).options;
        if (o.type !== undefined && o.device !== undefined) {
          const opts = (o.o ?? '').split(',').filter(Boolean);
          if (o.type === 'none' && opts.some((x) => x === 'bind' || x === 'rbind')) {
            // the local driver's bind volume: DEVICE itself
            if (!existsSync(o.device)) throw new MobyDickError('USAGE', `error while mounting volume '${name}': ${o.device}: no such file or directory`, { subject: o.device });
            binds.push({ source: o.device, destination: m.destination, readOnly: m.readOnly, ...(m.propagation ? { propagation: m.propagation } : {}) });
          } else {
            filesystems.push({ destination: m.destination, type: o.type, source: o.device, options: [...opts, ...(m.readOnly ? ['ro'] : [])] });
          }
          continue;
        }
      } else if (!existsSync(source)) {
        if (!m.createSource) {
          throw new MobyDickError('USAGE', `invalid mount config for type "bind": bind source path does not exist: ${source}`, { subject: source });
        }
        mkdirSync(source, { recursive: true, mode: 0o755 });
      }
      binds.push({ source, destination: m.destination, readOnly: m.readOnly, ...(m.propagation ? { propagation: m.propagation } : {}) });
    }
    return { binds, tmpfs, filesystems };
  }

  /** `create`: records the container and makes its writable layer; nothing runs yet. */
  async create(req: CreateRequest): Promise<ContainerRecord> {
    const name = req.name ?? (this.options.names ?? generatedName)();
    if (!NAME.test(name)) throw new MobyDickError('USAGE', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { container: name });
    const imageId = await this.image(req.image);
    const config = this.store.imageConfig(imageId).config ?? {};
    const layers = this.store.layerPaths(imageId).reverse();
    const settings = runSettings(config, { command: req.command, entrypoint: req.entrypoint, workdir: req.workdir, user: req.user }, req.image);
    const read = (path: string) => readImageFile(layers, path)?.toString('utf8') ?? null;
    const user = resolveUser(settings.user, read('/etc/passwd'), read('/etc/group'));
    const id = randomBytes(32).toString('hex');
    const exposedPorts = [...Object.keys(config.ExposedPorts ?? {}), ...req.expose.map((e) => (e.includes('/') ? e : `${e}/tcp`))];
    const net = this.networking(req, exposedPorts);
    const hostname = req.hostname ?? (net.mode === 'container' ? this.containers.find(net.container!).engine.hostname : id.slice(0, 12));
    const env = new Map<string, string>();
    for (const e of [...imageEnv(config, hostname, user.home, req.tty), ...req.env]) env.set(e.slice(0, e.indexOf('=')), e);
    const paths = this.paths(id);
    const volumes: Record<string, string> = {};
    const { binds, tmpfs, filesystems } = this.mounts(req, volumes);
    const record: ContainerRecord = {
      id,
      name,
      image: req.image,
      imageId,
      created: new Date().toISOString(),
      layers,
      openStdin: req.openStdin,
      stopSignal: req.stopSignal ?? settings.stopSignal,
      stopTimeout: req.stopTimeout ?? 10,
      restart: req.restart,
      autoRemove: req.autoRemove,
      init: req.init,
      log: req.log,
      labels: req.labels,
      volumes,
      net,
      exposedPorts,
      state: { restartCount: 0 },
      engine: {
        id,
        rootfs: paths.merged,
        readOnly: req.readOnly,
        argv: settings.argv,
        env: [...env.values()],
        cwd: settings.cwd,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        tty: req.tty,
        hostname,
        binds,
        tmpfs,
        ...(filesystems.length ? { filesystems } : {}),
        ...limitsAndSecurity(req),
        shmSize: req.shmSize ?? DEFAULT_SHM_SIZE,
        network: { mode: net.mode === 'host' ? 'host' : 'none' },
        cgroupsPath: `/${cgroupParent()}/${id}`,
        labels: req.labels,
      },
    };
    // refuses what it cannot build, and what the runtime would refuse at every start, before anything is made
    checkSpecRules(buildSpec(record.engine));
    this.addRecord(record, req.name === undefined);
    try {
      mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
      // the upper dir is the container's "/": every user must be able to enter it
      mkdirSync(paths.upper, { mode: 0o755 });
      mkdirSync(paths.work, { mode: 0o700 });
      mkdirSync(paths.merged, { mode: 0o700 });
    } catch (e) {
      this.containers.remove(id);
      rmSync(paths.dir, { recursive: true, force: true });
      throw e;
    }
    return record;
  }

  /**
   * Records RECORD; a GENERATED name that is taken (about 40,000 of them:
   * a hundred containers collide now and then) is drawn again, as Docker does.
   */
  private addRecord(record: ContainerRecord, generated: boolean): void {
    for (let attempt = 0; ; attempt++) {
      try {
        this.containers.add(record);
        return;
      } catch (e) {
        if (!generated || attempt >= 20 || !(e instanceof MobyDickError) || !e.message.startsWith('Conflict.')) throw e;
        record.name = (this.options.names ?? generatedName)();
      }
    }
  }

  /** What the OCI runtime says, undefined when it has no state for ID. */
  /**
   * The runtime's delete --force, also of a state directory without its
   * state (a CLI killed between claiming the id and writing the state):
   * delete removes such a directory and then says the container does not
   * exist, which is what rm wants.
   */
  private deleteInRuntime(id: string): void {
    try {
      this.runtime.delete(id, true);
    } catch (e) {
      if (existsSync(this.runtime.store.dir(id))) throw e;
    }
  }

  private runtimeStatus(id: string): ReturnType<OciRuntime['state']> | undefined {
    try {
      return this.runtime.state(id);
    } catch {
      return undefined;
    }
  }

  private exitRecord(paths: ContainerPaths) {
    try {
      return parseExitRecord(readFileSync(paths.exitFile, 'utf8'));
    } catch {
      return undefined;
    }
  }

  view(record: ContainerRecord): ContainerView {
    const paths = this.paths(record.id);
    const rt = this.runtimeStatus(record.id);
    const exit = this.exitRecord(paths);
    const state = containerState({ started: record.state.startedAt !== undefined, runtime: rt?.status, ...(exit ? { exit } : {}) });
    if (record.state.oomKilled) Object.assign(state, { OOMKilled: true });
    return { record, state, paths, pid: state.Running ? (rt?.pid ?? 0) : 0 };
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
    for (const id of this.networks.holders()) {
      if (!this.exists(id)) {
        this.releaseNetwork(id);
        continue;
      }
      const notRunning = () => !this.view(this.containers.find(id)).state.Running;
      // the lock only for the few that look stopped: a start in progress holds it, and is seen running after
      if (notRunning()) await this.locked(id, () => notRunning() && this.releaseNetwork(id));
    }
  }

  /**
   * `start`: the container's OCI config from its record, the runtime's create
   * with a monitor, then BEFORE_START (attach here, so no output is missed),
   * then the runtime's start. A container that ran before starts afresh.
   */
  async start(ref: string, beforeStart?: (v: ContainerView) => Promise<void> | void): Promise<ContainerView> {
    const found = this.containers.find(ref);
    return this.locked(found.id, () => this.startLocked(found.id, beforeStart));
  }

  private async startLocked(id: string, beforeStart?: (v: ContainerView) => Promise<void> | void): Promise<ContainerView> {
    const record = this.containers.find(id);
    const v = this.view(record);
    if (v.state.Running) return v;
    const paths = v.paths;
    if (this.runtimeStatus(record.id)) this.runtime.delete(record.id, true);
    rmSync(paths.exitFile, { force: true });
    const { files, netns } = this.prepareNetwork(record, paths);
    try {
      const engine: EngineContainer = { ...record.engine, binds: [...networkFileBinds(files, record.engine), ...record.engine.binds], network: netns };
      if (engine.privileged) engine.devices = hostDevices(); // as Docker: every device the host has now
      if (engine.privileged || engine.capAdd.some((c) => c.toUpperCase() === 'ALL')) engine.hostCapabilities = heldCapabilities(readFileSync('/proc/self/status', 'utf8'));
      const spec = buildSpec(engine);
      writeFileSync(paths.bundleConfig, JSON.stringify(spec));
      await this.createInRuntime(record, paths, spec);
      if (record.net?.mode === 'bridge') {
        const pid = this.runtime.state(record.id).pid;
        this.networks.plug({ id: record.id, name: record.name, hostname: record.engine.hostname, net: record.net, dir: paths.dir }, pid, this.refreshPeers);
      }
    } catch (e) {
      if (this.runtimeStatus(record.id)) this.runtime.delete(record.id, true);
      this.releaseNetwork(record.id);
      throw e;
    }
    record.state.startedAt = new Date().toISOString();
    record.state.stoppedByUser = false;
    this.containers.save(record);
    try {
      await beforeStart?.(this.view(record));
      this.runtime.start(record.id);
    } catch (e) {
      this.runtime.delete(record.id, true);
      this.releaseNetwork(record.id);
      throw e;
    }
    return this.view(record);
  }

  /** The runtime's create of RECORD's bundle, under its monitor, on an overlay of its layers. */
  private async createInRuntime(record: ContainerRecord, paths: ContainerPaths, spec: ReturnType<typeof buildSpec>): Promise<void> {
    mkdirSync(dirname(paths.attachSocket), { recursive: true, mode: 0o700 });
    rmSync(paths.attachSocket, { force: true });
    const onExit = this.options.exitCommand ? [...this.options.exitCommand, record.id] : undefined;
    await this.runtime.create(record.id, {
      bundle: paths.dir,
      // not validated again: buildSpec keeps to the schema (spec-trust.test.ts), but for a seccomp profile of the user's
      ...(typeof record.engine.seccomp === 'string' ? { spec } : {}),
      seccompCache: join(this.run, 'seccomp'),
      monitor: {
        log: { path: paths.log, maxSize: record.log.maxSize, maxFiles: record.log.maxFiles },
        exitFile: paths.exitFile,
        attachSocket: paths.attachSocket,
        stdinOpen: record.openStdin,
        ...(onExit ? { onExit } : {}),
      },
      ...(record.layers.length ? { overlay: { lower: record.layers, upper: paths.upper, work: paths.work } } : {}),
      init: record.init,
    });
  }

  /** Waits up to MS for the container to end; true when it did. */
  private waitStopped(id: string, ms: number): boolean {
    for (let waited = 0; waited <= ms; waited += 20) {
      const st = this.runtimeStatus(id)?.status;
      if (st === undefined || st === 'stopped') return true;
      sleepSync(20);
    }
    return false;
  }

  /** `stop`: the stop signal (or SIGNAL), then SIGKILL after TIMEOUT seconds, as Docker. */
  async stop(ref: string, timeout?: number, signal?: string): Promise<ContainerRecord> {
    const found = this.containers.find(ref);
    const record = await this.locked(found.id, () => {
      const r = this.containers.find(found.id);
      r.state.stoppedByUser = true;
      this.containers.save(r);
      return r;
    });
    const v = this.view(record);
    if (!v.state.Running) return record;
    if (v.state.Paused) this.runtime.pause(record.id, false);
    const seconds = timeout ?? record.stopTimeout;
    try {
      this.runtime.kill(record.id, (signal ?? record.stopSignal) as NodeJS.Signals);
    } catch {
      /* it ended meanwhile */
    }
    if (!this.waitStopped(record.id, seconds * 1000)) {
      try {
        this.runtime.kill(record.id, 'SIGKILL', true);
      } catch {
        /* it ended meanwhile */
      }
      this.waitStopped(record.id, 10_000);
    }
    this.waitExitFile(record.id, 2000);
    return record;
  }

  private waitExitFile(id: string, ms: number): void {
    const paths = this.paths(id);
    for (let waited = 0; waited <= ms && !existsSync(paths.exitFile); waited += 10) sleepSync(10);
  }

  /** `kill`: a signal to the container's init. */
  kill(ref: string, signal: string): ContainerRecord {
    const record = this.containers.find(ref);
    const v = this.view(record);
    if (!v.state.Running) {
      throw new MobyDickError('USAGE', `Cannot kill container: ${ref}: container ${record.id} is not running`, { container: ref });
    }
    record.state.stoppedByUser = true;
    this.containers.save(record);
    this.runtime.kill(record.id, signal as NodeJS.Signals);
    return record;
  }

  /** `rm`: a running container only with FORCE; VOLUMES also removes its anonymous volumes. */
  remove(ref: string, force = false, volumes = false): ContainerRecord {
    const record = this.containers.find(ref);
    const v = this.view(record);
    if (v.state.Running && !force) {
      throw new MobyDickError('USAGE', `You cannot remove a ${v.state.Paused ? 'paused' : 'running'} container ${record.id}. Stop the container before attempting removal or force remove`, {
        container: ref,
      });
    }
    this.deleteInRuntime(record.id);
    this.releaseNetwork(record.id);
    // what the runtime's state does not cover (a reboot wiped the run root, or a create killed
    // before it recorded its cgroups): the cgroups, and what still runs there
    removeLeftoverCgroups(record.engine.cgroupsPath);
    removeEmptyParent(record.engine.cgroupsPath);
    this.waitExitFile(record.id, v.state.Running ? 2000 : 0);
    rmSync(v.paths.dir, { recursive: true, force: true });
    rmSync(v.paths.attachSocket, { force: true });
    rmSync(join(this.run, 'locks', record.id), { force: true });
    if (volumes) {
      for (const name of Object.keys(record.volumes)) {
        if (/^[a-f0-9]{64}$/.test(name)) rmSync(join(this.store.root, 'volumes', name), { recursive: true, force: true });
      }
    }
    this.containers.remove(record.id);
    return record;
  }

  /** `wait`: blocks until the container ends; its exit code. */
  async wait(ref: string, pollMs = 50): Promise<number> {
    const record = this.containers.find(ref);
    for (;;) {
      const v = this.view(record);
      if (v.state.Status === 'exited') return v.state.ExitCode;
      if (v.state.Status === 'dead') {
        // the runtime sees the process gone before its monitor has drained the last output (up to
        // 2 s: watch.c) and written the exit file: only without one after that is it dead
        this.waitExitFile(record.id, 2500);
        return this.view(record).state.ExitCode;
      }
      if (v.state.Status === 'created') {
        throw new MobyDickError('USAGE', `container ${record.name} is not running`, { container: ref });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /**
   * Run by the monitor when the container has ended (`moby-dick
   * container-exited ID`): records an OOM kill, removes the runtime's state
   * and cgroups, then --rm or the restart policy.
   */
  async exited(id: string): Promise<void> {
    // handled already (the CLI that ran it attached does it too): touch nothing
    if (!existsSync(this.paths(id).dir) || this.runtimeStatus(id)?.status !== 'stopped') return;
    await this.locked(id, () => this.exitedLocked(id));
  }

  private async exitedLocked(id: string): Promise<void> {
    let record: ContainerRecord;
    try {
      record = this.containers.find(id);
    } catch {
      return; // removed meanwhile
    }
    const rt = this.runtimeStatus(id);
    // handled already (by the CLI that ran it attached, or the monitor), or restarted meanwhile
    if (!rt || rt.status !== 'stopped') return;
    record.state.oomKilled = this.oomKilled(id);
    this.containers.save(record);
    this.runtime.delete(id, true);
    this.releaseNetwork(id);
    removeEmptyParent(record.engine.cgroupsPath);
    if (record.autoRemove) {
      this.remove(id, true, true);
      return;
    }
    const exit = this.exitRecord(this.paths(id));
    if (shouldRestart(record, exit?.exitCode ?? 255)) {
      record.state.restartCount++;
      this.containers.save(record);
      await this.start(id);
    }
  }

  /** `pause` / `unpause`: freezes or thaws the container's cgroup (Docker's words when it cannot). */
  pause(ref: string, frozen: boolean): ContainerRecord {
    const record = this.containers.find(ref);
    const v = this.view(record);
    const id = record.id;
    if (!v.state.Running) throw new MobyDickError('USAGE', `Container ${id} is not running`, { container: ref });
    if (frozen && v.state.Paused) throw new MobyDickError('USAGE', `Container ${id} is already paused`, { container: ref });
    if (!frozen && !v.state.Paused) throw new MobyDickError('USAGE', `Container ${id} is not paused`, { container: ref });
    this.runtime.pause(id, frozen);
    return record;
  }

  /**
   * `restart`: stop (the stop signal, SIGKILL after TIMEOUT), then start. The
   * start holds the container's lock, so the monitor's container-exited of
   * the stopped run cannot interleave with it.
   */
  async restart(ref: string, timeout?: number, signal?: string): Promise<ContainerView> {
    const record = await this.stop(ref, timeout, signal);
    return this.locked(record.id, () => this.start(record.id));
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
      this.containers.rename(record, wanted);
      return record;
    });
  }

  /** Whether the kernel's OOM killer killed a process of the container (v1 memory.oom_control, v2 memory.events). */
  private oomKilled(id: string): boolean {
    try {
      const state = JSON.parse(readFileSync(join(this.run, 'oci', id, 'state.json'), 'utf8')) as { cgroup?: { byController?: Record<string, string> } };
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
}

/** The network files a container gets, where it has not bound something of its own there. */
function networkFileBinds(files: ContainerFiles | undefined, c: EngineContainer): BindMount[] {
  if (!files) return [];
  const taken = new Set([...c.binds, ...c.tmpfs, ...(c.filesystems ?? [])].map((m) => m.destination));
  const all: BindMount[] = [
    { source: files.resolvConf, destination: '/etc/resolv.conf', readOnly: false },
    { source: files.hostname, destination: '/etc/hostname', readOnly: false },
    { source: files.hosts, destination: '/etc/hosts', readOnly: false },
  ];
  return all.filter((b) => !taken.has(b.destination));
}

/** Docker's restart policies, decided when the container has ended. */
export function shouldRestart(record: ContainerRecord, exitCode: number): boolean {
  const p = record.restart;
  if (p.name === 'no') return false;
  if (record.state.stoppedByUser) return false;
  if (p.name === 'on-failure') {
    if (exitCode === 0) return false;
    return p.maximumRetryCount === 0 || record.state.restartCount < p.maximumRetryCount;
  }
  return true; // always, unless-stopped
}
