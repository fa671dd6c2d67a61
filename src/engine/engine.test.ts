/**
 * The engine's decisions with fakes of its collaborators (EngineOptions:
 * runtime, networks, syscalls), as any user: create, start, exited and the
 * restart policy. The image store is a real one in a temporary directory,
 * with an image of no layers. The same lifecycle with real containers:
 * test/integration/engine*.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { RootlessSyscalls } from '../../test/helpers/rootless-syscalls.js';
import { MobyDickError } from '../errors.js';
import { sha256 } from '../images/digest.js';
import { ImageStore } from '../images/store/image-store.js';
import type { NetworkRecord } from '../network/network-table.js';
import type { ContainerFiles, NetContainer } from '../network/networks.js';
import type { CreateOptions } from '../oci/lifecycle.js';
import type { OciState } from '../oci/state.js';
import type { Resources } from '../spec/schema.js';
import { buildSpec } from '../spec/spec-builder.js';
import { pause } from './container-lifecycle.js';
import { update } from './container-update.js';
import type { ContainerRecord } from './container-table.js';
import type { CreateRequest } from './create-request.js';
import type { EngineNetworks, EngineOciRuntime } from './engine-core.js';
import { Engine, shouldRestart } from './engine.js';

const notFaked = (what: string) => (): never => {
  throw new Error(`${what}: not in this fake`);
};

/** The OCI runtime as the engine sees it; END is what the monitor does when the process ends. */
class FakeOciRuntime implements EngineOciRuntime {
  readonly calls: string[] = [];
  readonly created = new Map<string, CreateOptions>();
  private readonly states = new Map<string, OciState>();
  failStart = false;
  private nextPid = 4200;
  constructor(private readonly root: string) {}
  readonly store = { dir: (id: string) => join(this.root, 'oci', id) };

  async create(id: string, options: CreateOptions): Promise<void> {
    this.calls.push(`create ${id.slice(0, 4)}`);
    this.created.set(id, options);
    this.states.set(id, { ociVersion: '1.2.0', id, pid: this.nextPid++, status: 'created', bundle: options.bundle, rootfs: '', created: '', owner: '' });
  }
  async start(id: string): Promise<void> {
    this.calls.push(`start ${id.slice(0, 4)}`);
    if (this.failStart) throw new MobyDickError('COMMAND_NOT_FOUND', 'mdk-test: the program could not run');
    this.states.get(id)!.status = 'running';
  }
  state(id: string): OciState {
    const s = this.states.get(id);
    if (!s) throw new MobyDickError('USAGE', `container ${id} does not exist`);
    return { ...s };
  }
  kill(id: string, signal: NodeJS.Signals | number): void {
    this.calls.push(`kill ${id.slice(0, 4)} ${signal}`);
    this.end(id, 128 + (signal === 'SIGKILL' ? 9 : 15));
  }
  delete(id: string): void {
    this.calls.push(`delete ${id.slice(0, 4)}`);
    this.states.delete(id);
  }
  pause(id: string, frozen: boolean): void {
    this.states.get(id)!.status = frozen ? 'paused' : 'running';
  }
  readonly updates: { id: string; resources: Resources }[] = [];
  failUpdate = false;
  update(id: string, resources: Resources): void {
    if (this.failUpdate) throw new MobyDickError('SETUP', 'unable to set memory limit to 8388608 (current usage: 9000000, peak usage: 9000000)');
    this.updates.push({ id, resources });
  }
  ps = notFaked('ps');
  stats = notFaked('stats');
  exec = notFaked('exec');

  /** the process ended with EXIT_CODE: the runtime sees it stopped, the monitor writes the exit file */
  end(id: string, exitCode: number): void {
    const s = this.states.get(id);
    if (!s || s.status === 'stopped') return;
    s.status = 'stopped';
    writeFileSync(this.created.get(id)!.monitor!.exitFile!, JSON.stringify({ exitCode, signal: null, finishedAt: new Date().toISOString() }));
  }
}

const BRIDGE: NetworkRecord = {
  id: 'n'.repeat(64), name: 'bridge', created: '', driver: 'bridge', subnet: '172.17.0.0/16', gateway: '172.17.0.1', bridge: 'mdk0', internal: false, labels: {}, isDefault: true,
};

/** The networks: one default bridge, nothing made; what the engine asked is recorded. */
class FakeNetworks implements EngineNetworks {
  readonly calls: string[] = [];
  constructor(private readonly root: string) {}
  find(ref: string): NetworkRecord {
    if (ref === BRIDGE.name) return BRIDGE;
    throw new MobyDickError('USAGE', `network ${ref} not found`);
  }
  prepare(c: NetContainer): ContainerFiles {
    this.calls.push(`prepare ${c.id.slice(0, 4)}`);
    const files = { resolvConf: join(this.root, 'resolv.conf'), hostname: join(this.root, 'hostname'), hosts: join(this.root, 'hosts') };
    return files;
  }
  plug(c: NetContainer, pid: number): void {
    this.calls.push(`plug ${c.id.slice(0, 4)} ${pid}`);
  }
  release(id: string): string[] {
    this.calls.push(`release ${id.slice(0, 4)}`);
    return [];
  }
  holders(): Set<string> {
    return new Set();
  }
  get table(): never {
    return notFaked('table')();
  }
  list = notFaked('list');
  create = notFaked('create');
  remove = notFaked('remove');
  prune = notFaked('prune');
  refreshHosts = notFaked('refreshHosts');
  rewriteHostsOf = notFaked('rewriteHostsOf');
  unplug = notFaked('unplug');
  connectRunning = notFaked('connectRunning');
  endpoints = notFaked('endpoints');
  ports = notFaked('ports');
}

/** The addon's syscalls: a container's lock is a plain file here, and counted. */
class FakeSyscalls extends RootlessSyscalls {
  readonly locks: string[] = [];
  lock(path: string): number {
    this.locks.push(path);
    return openSync(path, 'w');
  }
  mountOverlay = notFaked('mountOverlay');
  attachBind = notFaked('attachBind');
}

const IMAGE = 'mdk-test-engine:latest';

function request(over: Partial<CreateRequest> = {}): CreateRequest {
  return {
    image: IMAGE, command: ['true'], env: [], tty: false, openStdin: false, readOnly: false, mounts: [], init: false, labels: {},
    restart: { name: 'no', maximumRetryCount: 0 }, autoRemove: false, log: { maxSize: 0, maxFiles: 1 },
    network: 'none', networkAliases: [], publish: [], publishAll: false, expose: [], dns: [], dnsSearch: [], dnsOptions: [], addHost: [],
    ulimits: [], capAdd: [], capDrop: [], privileged: false, noNewPrivileges: false, seccomp: 'unconfined',
    ...over,
  };
}

describe('engine with a fake runtime and fake networks', () => {
  let root: string;
  let store: ImageStore;
  let runtime: FakeOciRuntime;
  let networks: FakeNetworks;
  let syscalls: FakeSyscalls;
  let engine: Engine;
  const cgroupParent = process.env.MOBY_DICK_CGROUP_PARENT;

  before(async () => {
    // the engine removes its cgroup parent when it is empty: a name of this test's, which does not exist
    process.env.MOBY_DICK_CGROUP_PARENT = `mdk-test-engine-unit-${process.pid}`;
    root = mkdtempSync(join(tmpdir(), 'mdk-test-engine-'));
    store = new ImageStore({ root, unpacker: notFaked('unpacker') });
    const lease = store.beginLease();
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] } }));
    const id = sha256(config);
    lease.commitBlob(id, await store.blobs.ingest(id, Readable.from([config]), { size: config.length }));
    store.registerImage(lease, { id, created: '2024-01-01T00:00:00Z', os: 'linux', architecture: 'amd64', variant: undefined, layers: [], tags: [`docker.io/library/${IMAGE}`], repoDigests: [] }, [id]);
  });
  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
    if (cgroupParent === undefined) delete process.env.MOBY_DICK_CGROUP_PARENT;
    else process.env.MOBY_DICK_CGROUP_PARENT = cgroupParent;
  });
  beforeEach(() => {
    runtime = new FakeOciRuntime(root);
    networks = new FakeNetworks(root);
    syscalls = new FakeSyscalls();
    // rootless false: as nobody too (scripts/unit-unprivileged.sh), the root engine's decisions
    engine = new Engine(store, { runtime, networks, syscalls, rootless: false, exitCommand: ['mdk-test-exited'], names: () => `mdk-test-${Math.random().toString(36).slice(2, 10)}` });
  });
  afterEach(() => {
    for (const r of engine.containers.all()) engine.remove(r.id, true, true);
  });

  test('holdCgroupParents: the parent cgroup kept until the last hold is released; an engine that keeps it for good keeps it', () => {
    assert.equal(engine.keptCgroupParents, undefined);
    const first = engine.holdCgroupParents();
    const kept = engine.keptCgroupParents;
    assert.ok(kept, 'kept while held');
    const second = engine.holdCgroupParents();
    assert.equal(engine.keptCgroupParents, kept, 'the same parents');
    first();
    first();
    assert.equal(engine.keptCgroupParents, kept, 'one hold left (a release counts once)');
    second();
    assert.equal(engine.keptCgroupParents, undefined, 'let go with the last hold');
    const forGood = engine.keepCgroupParents();
    engine.holdCgroupParents()();
    assert.equal(engine.keptCgroupParents, forGood, 'a hold does not end what the engine keeps for good');
  });

  test('create records the container and makes its writable layer; nothing reaches the runtime', async () => {
    const r = await engine.create(request({ name: 'mdk-test-created', hostname: 'mdk-test-host' }));
    assert.equal(engine.inspect('mdk-test-created').record.id, r.id);
    assert.deepEqual([r.engine.argv, r.engine.hostname, r.engine.cgroupsPath], [['true'], 'mdk-test-host', `/mdk-test-engine-unit-${process.pid}/${r.id}`]);
    const p = engine.paths(r.id);
    for (const d of [p.upper, p.work, p.merged]) assert.ok(existsSync(d), d);
    assert.equal(engine.inspect(r.id).state.Status, 'created');
    assert.deepEqual(runtime.calls, []);
  });

  test("create checks memory and CPU values as dockerd does, before anything is recorded", async () => {
    await assert.rejects(engine.create(request({ name: 'mdk-test-cpu', nanoCpus: 1e9, cpuPeriod: 50000 })), /Conflicting options: Nano CPUs and CPU Period cannot both be set/);
    await assert.rejects(engine.create(request({ name: 'mdk-test-res', memory: 64 << 20, memoryReservation: 128 << 20 })), /Minimum memory limit can not be less than memory reservation limit/);
    await assert.rejects(engine.create(request({ name: 'mdk-test-quota', cpuQuota: 500 })), /CPU cfs quota can not be less than 1ms/);
    await assert.rejects(engine.create(request({ name: 'mdk-test-mem', memory: 1024 })), /Minimum memory limit allowed is 6MB/);
    assert.deepEqual(engine.containers.all(), []);
  });

  test('create refuses a hostname longer than the kernel takes, before anything is recorded or made', async () => {
    await assert.rejects(engine.create(request({ name: 'mdk-test-long', hostname: 'h'.repeat(65) })), /invalid hostname "h{65}": longer than the kernel's 64 bytes/);
    assert.deepEqual(engine.containers.all(), []);
    await engine.create(request({ name: 'mdk-test-64', hostname: 'h'.repeat(64) }));
  });

  test('start writes the bundle config, creates under a monitor with the exit command, then starts, holding the lock', async () => {
    const r = await engine.create(request({ name: 'mdk-test-start' }));
    let before: string | undefined;
    const v = await engine.start('mdk-test-start', (seen) => void (before = seen.state.Status));
    assert.deepEqual(runtime.calls, [`create ${r.id.slice(0, 4)}`, `start ${r.id.slice(0, 4)}`]);
    assert.equal(before, 'created', 'before-start sees it created, not yet started');
    assert.ok(v.state.Running);
    assert.equal(v.pid, runtime.state(r.id).pid);
    const opts = runtime.created.get(r.id)!;
    assert.deepEqual(opts.monitor!.onExit, ['mdk-test-exited', r.id]);
    assert.equal(opts.monitor!.exitFile, v.paths.exitFile);
    const spec = JSON.parse(readFileSync(v.paths.bundleConfig, 'utf8')) as { process: { args: string[] }; hostname: string };
    assert.deepEqual([spec.process.args, spec.hostname], [['true'], r.id.slice(0, 12)]);
    assert.ok(syscalls.locks.some((l) => l.endsWith(`/locks/${r.id}`)), 'the lock through the injected syscalls');
    assert.ok(engine.inspect(r.id).record.state.startedAt);
    // a running container is not started again
    await engine.start(r.id);
    assert.equal(runtime.calls.length, 2);
  });

  test('on the bridge: the network files are bound and the endpoint plugged into the new process', async () => {
    const r = await engine.create(request({ name: 'mdk-test-bridge', network: 'bridge' }));
    await engine.start(r.id);
    const pid = runtime.state(r.id).pid;
    assert.deepEqual(networks.calls, [`prepare ${r.id.slice(0, 4)}`, `plug ${r.id.slice(0, 4)} ${pid}`]);
    const spec = JSON.parse(readFileSync(engine.paths(r.id).bundleConfig, 'utf8')) as { mounts: { destination: string; source: string }[] };
    assert.equal(spec.mounts.find((m) => m.destination === '/etc/hosts')?.source, join(root, 'hosts'));
  });

  test('a start that fails removes what the runtime made and releases the network', async () => {
    const r = await engine.create(request({ name: 'mdk-test-failstart' }));
    runtime.failStart = true;
    await assert.rejects(engine.start(r.id), /the program could not run/);
    assert.deepEqual(runtime.calls.slice(-2), [`start ${r.id.slice(0, 4)}`, `delete ${r.id.slice(0, 4)}`]);
    assert.ok(networks.calls.includes(`release ${r.id.slice(0, 4)}`));
    assert.throws(() => runtime.state(r.id), /does not exist/);
  });

  /** creates and starts a container with REQ, lets its process end with EXIT_CODE, runs exited() */
  async function runAndExit(over: Partial<CreateRequest>, exitCode: number): Promise<ContainerRecord> {
    const r = await engine.create(request(over));
    await engine.start(r.id);
    runtime.end(r.id, exitCode);
    await engine.exited(r.id);
    return r;
  }

  test('exited without a restart policy: the runtime state deleted, the network released, the exit code kept', async () => {
    const r = await runAndExit({}, 3);
    const v = engine.inspect(r.id);
    assert.deepEqual([v.state.Status, v.state.ExitCode], ['exited', 3]);
    assert.throws(() => runtime.state(r.id), /does not exist/);
    assert.ok(networks.calls.includes(`release ${r.id.slice(0, 4)}`));
    assert.equal(runtime.calls.filter((c) => c.startsWith('start')).length, 1, 'not restarted');
  });

  test('exited with --rm: the container is gone', async () => {
    const r = await runAndExit({ autoRemove: true }, 0);
    assert.deepEqual(engine.containers.all(), []);
    assert.ok(!existsSync(engine.paths(r.id).dir));
  });

  test('on-failure:2 restarts after a failure up to twice, never after success', async () => {
    const r = await runAndExit({ restart: { name: 'on-failure', maximumRetryCount: 2 } }, 1);
    assert.equal(engine.inspect(r.id).record.state.restartCount, 1);
    assert.ok(engine.inspect(r.id).state.Running, 'started again');
    for (const expected of [2, 2]) {
      runtime.end(r.id, 1);
      await engine.exited(r.id);
      assert.equal(engine.inspect(r.id).record.state.restartCount, expected);
    }
    assert.equal(engine.inspect(r.id).state.Status, 'exited', 'the third failure is the last');
    const ok = await runAndExit({ restart: { name: 'on-failure', maximumRetryCount: 0 } }, 0);
    assert.equal(engine.inspect(ok.id).state.Status, 'exited');
  });

  test('always restarts, but not a container the user stopped or killed', async () => {
    const r = await runAndExit({ restart: { name: 'always', maximumRetryCount: 0 } }, 0);
    assert.ok(engine.inspect(r.id).state.Running);
    await engine.stop(r.id, 0);
    await engine.exited(r.id);
    assert.equal(engine.inspect(r.id).state.Status, 'exited');
    assert.ok(runtime.calls.includes(`kill ${r.id.slice(0, 4)} SIGTERM`));
    await engine.start(r.id);
    engine.kill(r.id, 'SIGKILL');
    await engine.exited(r.id);
    assert.equal(engine.inspect(r.id).state.Status, 'exited');
  });

  test("events: create, start, die with its exit code (once, from exited), kill with the signal's number, destroy; labels as attributes", async () => {
    const after = store.events.lastSeq();
    const r = await runAndExit({ labels: { 'mdk-test.tier': 'front' } }, 3);
    await engine.exited(r.id); // handled already: no second die
    await engine.start(r.id);
    engine.kill(r.id, 'TERM');
    runtime.end(r.id, 143);
    await engine.exited(r.id);
    engine.remove(r.id);
    const seen = store.events.read(after).filter((e) => e.actor.id === r.id);
    assert.deepEqual(seen.map((e) => e.action), ['create', 'start', 'die', 'start', 'kill', 'die', 'destroy']);
    assert.deepEqual(seen[2]!.actor.attributes, { 'mdk-test.tier': 'front', image: r.image, name: r.name, exitCode: '3' });
    assert.equal(seen[4]!.actor.attributes.signal, '15');
    assert.equal(seen[5]!.actor.attributes.exitCode, '143');
  });

  test('exited touches nothing when the runtime does not say stopped (the attached CLI did it already, or it restarted)', async () => {
    const r = await engine.create(request({ name: 'mdk-test-running' }));
    await engine.start(r.id);
    const calls = runtime.calls.length;
    await engine.exited(r.id);
    assert.equal(runtime.calls.length, calls);
    assert.ok(engine.inspect(r.id).state.Running);
  });

  const HOST = { cpus: '0-1', mems: '0', cpuCount: 2, blkioWeight: false };

  test('update of a running container: the runtime writes the new limits, the record keeps them, its next config has them', async () => {
    const r = await engine.create(request({ name: 'mdk-test-upd', memory: 32 << 20 }));
    await engine.start(r.id);
    const res = await update(engine, 'mdk-test-upd', { memory: 48 << 20, pidsLimit: 20, nanoCpus: 5e8, cpusetCpus: '1', restart: { name: 'on-failure', maximumRetryCount: 2 } }, HOST);
    assert.deepEqual(res.warnings, []);
    assert.deepEqual(runtime.updates, [{ id: r.id, resources: { memory: { limit: 48 << 20, swap: 64 << 20 }, cpu: { period: 100000, quota: 50000, cpus: '1' }, pids: { limit: 20 } } }]);
    const after = engine.inspect(r.id).record;
    assert.deepEqual([after.engine.memory, after.engine.memorySwap, after.engine.pidsLimit, after.engine.nanoCpus, after.engine.cpusetCpus], [48 << 20, 64 << 20, 20, 5e8, '1']);
    assert.deepEqual(after.restart, { name: 'on-failure', maximumRetryCount: 2 });
    const spec = buildSpec(after.engine).linux!.resources!;
    assert.deepEqual([spec.memory, spec.pids, spec.cpu], [{ limit: 48 << 20, swap: 64 << 20 }, { limit: 20 }, { period: 100000, quota: 50000, cpus: '1' }]);
  });

  test('update of a stopped container changes only its record; a failed write leaves the record as it was', async () => {
    const r = await engine.create(request({ name: 'mdk-test-upd-stopped' }));
    const res = await update(engine, r.id, { pidsLimit: 50, blkioWeight: 300 }, HOST);
    assert.deepEqual(res.warnings, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    assert.deepEqual(runtime.updates, []);
    assert.equal(engine.inspect(r.id).record.engine.pidsLimit, 50);
    assert.equal(engine.inspect(r.id).record.engine.blkioWeight, undefined);
    await engine.start(r.id);
    runtime.failUpdate = true;
    await assert.rejects(update(engine, r.id, { memory: 8 << 20 }, HOST), new RegExp(`^MobyDickError: Cannot update container ${r.id}: unable to set memory limit to 8388608 \\(current usage`));
    assert.equal(engine.inspect(r.id).record.engine.memory, undefined);
    runtime.failUpdate = false;
    await update(engine, r.id, { pidsLimit: -1 }, HOST);
    assert.equal(engine.inspect(r.id).record.engine.pidsLimit, undefined);
    assert.deepEqual(runtime.updates as unknown, [{ id: r.id, resources: { pids: { limit: -1 } } }]);
  });

  test('an ordinary user\'s engine: pause and unpause refused in one line without a delegated subtree; update\'s limits only where delegated, its restart policy always', async () => {
    const r = await engine.create(request({ name: 'mdk-test-rootless-upd' }));
    const rootless = new Engine(store, { runtime, networks, syscalls, rootless: true });
    const delegated = (controllers: string[]) => () => ({ path: '/user', dir: '/sys/fs/cgroup/user', controllers, layout: { version: 2 as const, v1: [], unified: '/sys/fs/cgroup/user' } });
    for (const frozen of [true, false]) {
      assert.throws(() => pause(rootless, r.id, frozen, () => null), (e: unknown) => e instanceof MobyDickError && e.code === 'NOT_ROOT' && new RegExp(`^${frozen ? 'pause' : 'unpause'}: not available to a rootless container without a cgroup v2 subtree delegated to this user`).test(e.message) && !e.message.includes('\n'));
      // delegated: on to the container's state (it is not running)
      assert.throws(() => pause(rootless, r.id, frozen, delegated(['memory'])), /is not running/);
    }
    assert.deepEqual(runtime.calls.filter((c) => c.startsWith('pause')), []);
    await assert.rejects(update(rootless, r.id, { memory: 64 << 20 }, HOST, () => null), /^MobyDickError: --memory: cgroup limits are not available to a rootless container/);
    await assert.rejects(update(rootless, r.id, { pidsLimit: 10 }, HOST, delegated(['memory'])), /--pids-limit: the cgroup controller pids is not delegated/);
    await update(rootless, r.id, { restart: { name: 'always', maximumRetryCount: 0 } }, HOST, () => null);
    await update(rootless, r.id, { memory: 64 << 20 }, HOST, delegated(['memory']));
    const after = engine.inspect(r.id).record;
    assert.deepEqual([after.restart.name, after.engine.memory], ['always', 64 << 20]);
  });
});

describe('restart policy', () => {
  const rec = (name: ContainerRecord['restart']['name'], max: number, count: number, stoppedByUser = false) =>
    ({ restart: { name, maximumRetryCount: max }, state: { restartCount: count, stoppedByUser } }) as Pick<ContainerRecord, 'restart' | 'state'> as ContainerRecord;
  test('Docker\'s: no, on-failure[:N], always, unless-stopped; never after the user stopped it', () => {
    assert.equal(shouldRestart(rec('no', 0, 0), 1), false);
    assert.equal(shouldRestart(rec('on-failure', 0, 7), 1), true);
    assert.equal(shouldRestart(rec('on-failure', 3, 2), 1), true);
    assert.equal(shouldRestart(rec('on-failure', 3, 3), 1), false);
    assert.equal(shouldRestart(rec('on-failure', 3, 0), 0), false);
    assert.equal(shouldRestart(rec('always', 0, 9), 0), true);
    assert.equal(shouldRestart(rec('unless-stopped', 0, 0), 0), true);
    assert.equal(shouldRestart(rec('always', 0, 0, true), 1), false);
  });
});
