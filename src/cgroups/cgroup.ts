/**
 * Making, filling, freezing and removing a container's cgroups: plain file
 * writes under the host's cgroupfs (v1 or v2). The mount points come from
 * CgroupLayout, so tests point them at a fake tree.
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { sleepSync } from '../linux/sleep.js';
import type { Resources } from '../spec/schema.js';
import { nativeAddon } from '../helper/native-addon.js';
import { compileDeviceFilter, type DeviceRule } from './device-filter.js';
import type { CgroupLayout } from './layout.js';
import { dropUnfilledParent, type FillParent, fillingDirOps, REAL_PARENT_OPS, type StaleTemporary } from './shared-parent.js';
import { sameDeviceList, v1DeviceList } from './v1-device-list.js';
import { type CgroupWrite, orderMemoryWrites, planV1, planV2, v2Controllers } from './resources.js';

/** What a container's cgroups are, saved in its state to find them again. */
export interface CgroupPlacement {
  version: 1 | 2;
  /** the container's directory in every hierarchy */
  dirs: string[];
  /** directories this runtime made, deepest last (removed in reverse) */
  created: string[];
  freezer: string | null;
  /** v1: controller -> directory, to find memory, pids, cpu for stats */
  byController: Record<string, string>;
  /** v2: the device rules its eBPF program holds, so that `update` can add to them */
  devices?: DeviceRule[];
  /** v1 with sharedParent: its device rules were copied from its parent at mkdir, none written */
  devicesInherited?: boolean;
}

const MEMSW_LIMIT = 'memory.memsw.limit_in_bytes';

function cgroupError(message: string, path: string, e?: unknown): MobyDickError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return new MobyDickError('SETUP', `cgroup ${path}: ${message}${code ? ` (${code})` : ''}`, { step: 'cgroup', subject: path, errnoName: code });
}

/** cgroupfs makes its files itself: opened without O_CREAT, a file this kernel lacks is ENOENT */
const WRITE_ONLY = constants.O_WRONLY | constants.O_TRUNC;

function write(file: string, value: string): void {
  try {
    const fd = openSync(file, WRITE_ONLY);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw cgroupError(`cannot write ${JSON.stringify(value)}`, file, e);
  }
}

/** write() in libuv's thread pool: the event loop runs on while the kernel works (or waits) */
async function writeInPool(file: string, value: string): Promise<void> {
  try {
    const f = await open(file, WRITE_ONLY);
    try {
      await f.write(value);
    } finally {
      await f.close();
    }
  } catch (e) {
    throw cgroupError(`cannot write ${JSON.stringify(value)}`, file, e);
  }
}

/**
 * v1 answers EBUSY to a memory limit below what the cgroup uses and cannot
 * reclaim: runc's words for it, with the usage.
 */
function memoryInUse(dir: string, limit: string): MobyDickError {
  const usage = read(join(dir, 'memory.usage_in_bytes'));
  const peak = read(join(dir, 'memory.max_usage_in_bytes'));
  return new MobyDickError('SETUP', `unable to set memory limit to ${limit} (current usage: ${usage}, peak usage: ${peak})`, {
    step: 'cgroup',
    subject: join(dir, 'memory.limit_in_bytes'),
    errnoName: 'EBUSY',
    hint: 'give a limit above what the container uses now',
  });
}

/** A cgroup file of "key value" lines (memory.stat), as numbers. */
function keyValues(dir: string | undefined, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!dir) return out;
  for (const line of read(join(dir, file)).split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Bytes read and written, all devices: v1 blkio.throttle.io_service_bytes_recursive ("8:0 Read 4096"). */
function blkioV1(dir: string | undefined): { read: number; write: number } {
  const io = { read: 0, write: 0 };
  if (!dir) return io;
  for (const line of read(join(dir, 'blkio.throttle.io_service_bytes_recursive')).split('\n')) {
    const m = /^\d+:\d+ (Read|Write) (\d+)$/.exec(line);
    if (m) io[m[1] === 'Read' ? 'read' : 'write'] += Number(m[2]);
  }
  return io;
}

/** The same from v2 io.stat ("8:0 rbytes=4096 wbytes=0 ..."). */
function ioStatV2(dir: string | undefined): { read: number; write: number } {
  const io = { read: 0, write: 0 };
  if (!dir) return io;
  for (const line of read(join(dir, 'io.stat')).split('\n')) {
    io.read += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
    io.write += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return io;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** the file system call makeCgroupDirs makes (tests give their own) */
export interface DirOps {
  mkdir(dir: string): void;
}

const REAL_DIR_OPS: DirOps = { mkdir: (dir) => mkdirSync(dir) };

/**
 * DIR and the parents it lacks (mkdir -p); the ones made are added to
 * CREATED. The mkdir comes first: the parents are usually there, and
 * EEXIST or ENOENT says what an existence check would have (one call per
 * hierarchy instead of three). A parent may vanish while this runs: the
 * engine removes its parent cgroup when the last container in it ends, and
 * another container may be ending (ENOENT): then the parent is made again,
 * a few times at most.
 */
export function makeCgroupDirs(dir: string, created: string[], ops: DirOps = REAL_DIR_OPS, attempts = 5): void {
  try {
    ops.mkdir(dir);
    created.push(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || attempts <= 1 || dirname(dir) === dir) throw cgroupError('cannot create', dir, e);
  }
  makeCgroupDirs(dirname(dir), created, ops, attempts);
  makeCgroupDirs(dir, created, ops, attempts - 1);
}

/** cgroupsPath as the OCI spec gives it -> a path under each hierarchy's root. */
export function cgroupPath(cgroupsPath: string | undefined, id: string): string {
  const p = cgroupsPath ?? `/moby-dick/${id}`;
  if (p.includes('..') || p.includes(':')) {
    throw new MobyDickError('INVALID_CONFIG', `config.json: linux.cgroupsPath: ${JSON.stringify(p)} is not a cgroupfs path`, {
      subject: 'linux.cgroupsPath',
      hint: 'slice:prefix:name paths need --systemd-cgroup, which is not supported yet',
    });
  }
  return p.startsWith('/') ? p : `/${p}`;
}

/** a new cpuset cgroup is empty and takes no task until it gets its parent's cpus and mems: each level of PATH that lacks them */
function fillCpusetLevels(mountPoint: string, path: string): void {
  const levels = path.split('/').filter(Boolean);
  for (let i = 1; i <= levels.length; i++) {
    const d = join(mountPoint, ...levels.slice(0, i));
    for (const f of ['cpuset.cpus', 'cpuset.mems']) if (read(join(d, f)) === '') write(join(d, f), read(join(dirname(d), f)));
  }
}

/** a shared parent's cpuset: its parent's cpus and mems, handed on to each child at mkdir */
const fillCpuset: FillParent = (d) => {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) write(join(d, f), read(join(dirname(d), f)));
  write(join(d, 'cgroup.clone_children'), '1');
};

/**
 * DIR under a parent that holds what every child gets (shared-parent.ts),
 * made whole by FILL when this makes it; a parent made without it (by an
 * older moby-dick) is made again when no other cgroup is in it. Whether
 * DIR INHERITED it: when not, the caller writes it the ordinary way.
 */
function makeUnderSharedParent(dir: string, created: string[], fill: FillParent, inherited: (dir: string) => boolean, stale?: StaleTemporary): boolean {
  const parent = dirname(dir);
  const ops = fillingDirOps(parent, fill, basename(dir), REAL_PARENT_OPS, stale);
  makeCgroupDirs(dir, created, ops);
  const had = inherited(dir);
  if (had || !created.includes(dir)) return had;
  const dropped = dropUnfilledParent(dir);
  if (dropped === 'kept') return false;
  for (const gone of dropped === 'parent' ? [dir, parent] : [dir]) if (created.includes(gone)) created.splice(created.indexOf(gone), 1);
  makeCgroupDirs(dir, created, ops);
  return inherited(dir);
}

export interface CreateOptions {
  /**
   * v1: every cgroup under PATH's parent gets these same device rules and
   * its parent's cpuset (the jail's containers): the parent holds them, and
   * a new cgroup copies them at mkdir, so nothing is written per container
   * (shared-parent.ts). Only for a parent whose children all have the same
   * rules: a child cannot be given a device its parent lacks.
   */
  sharedParent?: boolean;
  /**
   * With sharedParent: whether a temporary parent PARENT.SUFFIX (the
   * suffix is the name of the cgroup that was being made) was left by a
   * maker that is gone; those are swept when the parent is made.
   */
  staleTemporary?: StaleTemporary;
}

/** loads PROGRAM onto a cgroup2 directory; REPLACE: then detach the device programs that were there */
export type AttachDeviceFilter = (cgroupDir: string, program: Buffer, replace: boolean) => void;

export class CgroupManager {
  constructor(
    private readonly layout: CgroupLayout,
    /** the addon's BPF loader; tests on a fake tree give a recorder */
    private readonly attachDeviceFilter: AttachDeviceFilter = (dir, program, replace) => nativeAddon().attachDeviceFilter(dir, program, replace),
  ) {}

  /** Creates the container's cgroups at PATH and writes its limits. */
  /** The cgroup PATH with RESOURCES written; what it made is removed again when a write fails. */
  create(path: string, resources: Resources = {}, options: CreateOptions = {}): CgroupPlacement {
    const created: string[] = [];
    try {
      return this.layout.version === 2 ? this.createV2(path, resources, created) : this.createV1(path, resources, created, options);
    } catch (e) {
      this.remove({ version: this.layout.version, dirs: [], created, freezer: null, byController: {} });
      throw e;
    }
  }

  private createV1(path: string, resources: Resources, created: string[], options: CreateOptions): CgroupPlacement {
    const placement: CgroupPlacement = { version: 1, dirs: [], created, freezer: null, byController: {} };
    let writes = planV1(resources);
    const deviceWrites = writes.filter((w) => w.controller === 'devices');
    const deviceList = options.sharedParent ? v1DeviceList(deviceWrites) : null;
    for (const h of this.layout.v1) {
      const dir = join(h.mountPoint, path);
      const cpuset = h.controllers.includes('cpuset');
      const devices = h.controllers.includes('devices');
      if (options.sharedParent && cpuset) {
        // the parent's cpus and mems, copied at mkdir (clone_children)
        const inherited = makeUnderSharedParent(dir, created, fillCpuset, (d) => read(join(d, 'cpuset.cpus')) !== '' && read(join(d, 'cpuset.mems')) !== '', options.staleTemporary);
        if (!inherited) fillCpusetLevels(h.mountPoint, path);
      } else if (deviceList && devices) {
        const fill: FillParent = (d) => deviceWrites.forEach((w) => write(join(d, w.file), w.value));
        if (makeUnderSharedParent(dir, created, fill, (d) => sameDeviceList(read(join(d, 'devices.list')), deviceList), options.staleTemporary)) {
          writes = writes.filter((w) => w.controller !== 'devices'); // its parent's rules, copied at mkdir
          placement.devicesInherited = true;
        }
      } else {
        makeCgroupDirs(dir, placement.created);
        if (cpuset) fillCpusetLevels(h.mountPoint, path);
      }
      placement.dirs.push(dir);
      for (const c of h.controllers) placement.byController[c] = dir;
      if (h.controllers.includes('freezer')) placement.freezer = dir;
    }
    // hybrid hosts keep some controllers (hugetlb here) only in the cgroup2 tree
    if (this.layout.unified) {
      const dir = join(this.layout.unified, path);
      makeCgroupDirs(dir, placement.created);
      placement.dirs.push(dir);
      placement.byController.unified = dir;
    }
    this.apply(placement, writes);
    return placement;
  }

  private createV2(path: string, resources: Resources, created: string[]): CgroupPlacement {
    const root = this.layout.unified;
    if (!root) throw cgroupError('no cgroup2 hierarchy', '/sys/fs/cgroup');
    const writes = planV2(resources);
    const dir = join(root, path);
    const placement: CgroupPlacement = { version: 2, dirs: [dir], created, freezer: dir, byController: { unified: dir } };
    makeCgroupDirs(dir, placement.created);
    // controllers are enabled from the root down to the container's parent: those the limits
    // need, and (as runc) every other one offered, so that a container without limits has its
    // memory.current, memory.events (OOM kills), pids.current, io.stat too
    const wanted = v2Controllers(writes);
    for (let d = root; d !== dir; d = join(d, dir.slice(d.length + 1).split('/')[0]!)) {
      const available = read(join(d, 'cgroup.controllers')).split(' ').filter(Boolean);
      const missing = wanted.filter((c) => !available.includes(c));
      if (missing.length) throw cgroupError(`controllers not available: ${missing.join(', ')}`, d);
      enableControllers(join(d, 'cgroup.subtree_control'), wanted, available);
    }
    this.apply(placement, writes);
    if (resources.devices?.length) this.addDeviceRules(placement, resources.devices);
    return placement;
  }

  /**
   * v2: device RULES after those the placement has (the last match wins, as
   * with v1's devices.allow and devices.deny), as one new program that
   * replaces the old one.
   */
  addDeviceRules(placement: CgroupPlacement, rules: readonly DeviceRule[]): void {
    const dir = placement.byController.unified ?? placement.dirs[0] ?? '';
    const all = [...(placement.devices ?? []), ...rules];
    try {
      this.attachDeviceFilter(dir, compileDeviceFilter(all), placement.devices !== undefined);
    } catch (e) {
      throw cgroupError(`cannot attach the device filter: ${(e as Error).message}`, dir);
    }
    placement.devices = all;
  }

  /** Writes limits into an existing placement (create, and `update`). */
  apply(placement: CgroupPlacement, writes: readonly CgroupWrite[]): void {
    // the memory limit there is now matters only to the order of a memory and a memory+swap limit
    const memory = placement.version === 1 && writes.some((w) => w.file === MEMSW_LIMIT) ? placement.byController.memory : undefined;
    const current = memory === undefined ? undefined : read(join(memory, 'memory.limit_in_bytes'));
    for (const w of orderMemoryWrites(writes, current ? BigInt(current) : undefined)) {
      let dir = placement.byController[w.controller];
      let file = w.file;
      if (dir === undefined && w.controller === 'hugetlb' && placement.byController.unified) {
        dir = placement.byController.unified;
        file = file.replace(/\.limit_in_bytes$/, '.max');
      }
      if (dir === undefined) {
        throw new MobyDickError('INVALID_CONFIG', `config.json: linux.resources: this host has no ${w.controller} cgroup controller`, { subject: w.controller });
      }
      try {
        write(join(dir, file), w.value);
      } catch (e) {
        const code = e instanceof MobyDickError ? e.details.errnoName : undefined;
        if (file === 'memory.limit_in_bytes' && code === 'EBUSY') throw memoryInUse(dir, w.value);
        // no check before each write: a file missing from a cgroup that is there is one this kernel lacks
        if (code === 'ENOENT' && existsSync(dir)) {
          throw cgroupError(`this kernel has no ${file}${file.includes('memsw') ? ' (swap accounting is off)' : ''}`, join(dir, file));
        }
        throw e;
      }
    }
  }

  /** Moves PID into every hierarchy of the placement. */
  addProcess(placement: CgroupPlacement, pid: number): void {
    for (const dir of placement.dirs) write(join(dir, 'cgroup.procs'), String(pid));
  }

  /**
   * addProcess in libuv's thread pool, every hierarchy at once. On v1 the
   * first cgroup.procs write after a quiet moment waits in the kernel for
   * an RCU grace period (~12 ms here: the threadgroup rwsem taken for
   * writing); the process's event loop runs on meanwhile. Settles once
   * every write has (a failure is thrown after the others ended, so that
   * no write is still under way while the caller removes the cgroups).
   */
  async addProcessInPool(placement: CgroupPlacement, pid: number): Promise<void> {
    const writes = await Promise.allSettled(placement.dirs.map((dir) => writeInPool(join(dir, 'cgroup.procs'), String(pid))));
    const failed = writes.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;
  }

  pids(placement: CgroupPlacement): number[] {
    const dir = placement.byController.pids ?? placement.byController.memory ?? placement.dirs[0];
    if (!dir) return [];
    return read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  }

  setFrozen(placement: CgroupPlacement, frozen: boolean): void {
    const dir = placement.freezer;
    if (!dir) throw cgroupError('no freezer controller', '/sys/fs/cgroup');
    if (placement.version === 1) write(join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
    else write(join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
    for (let i = 0; i < 1000 && this.isFrozen(placement) !== frozen; i++) sleepSync(1);
  }

  isFrozen(placement: CgroupPlacement): boolean {
    const dir = placement.freezer;
    if (!dir) return false;
    if (placement.version === 1) return read(join(dir, 'freezer.state')) === 'FROZEN';
    return /^frozen 1$/m.test(read(join(dir, 'cgroup.events')));
  }

  /** Removes what create made; returns the container's own directories that stayed (busy: its last tasks not gone yet). */
  remove(placement: CgroupPlacement): string[] {
    const left: string[] = [];
    for (const dir of [...placement.created].reverse()) {
      // a parent another container still uses stays (not empty, or busy): only the container's own count
      if (removeCgroupDir(dir, removalRetries(placement, dir), 5) !== 'removed' && placement.dirs.includes(dir)) left.push(dir);
    }
    return left;
  }

  /**
   * How many of the container's processes the kernel's OOM killer has
   * killed: oom_kill of v2's memory.events, or of v1's memory.oom_control
   * (kernels since 4.13); 0 without a memory controller.
   */
  oomKills(placement: CgroupPlacement): number {
    const dir = placement.version === 1 ? placement.byController.memory : placement.byController.unified;
    if (!dir) return 0;
    return oomKillCount(read(join(dir, placement.version === 1 ? 'memory.oom_control' : 'memory.events')));
  }

  stats(placement: CgroupPlacement): Record<string, unknown> {
    const num = (dir: string | undefined, file: string): number | undefined => {
      if (!dir) return undefined;
      const v = read(join(dir, file));
      return v === '' || v === 'max' ? undefined : Number(v.split(/\s/)[0]);
    };
    const b = placement.byController;
    if (placement.version === 1) {
      return {
        cpu: { usage: { total: num(b.cpuacct, 'cpuacct.usage') } },
        memory: {
          usage: { usage: num(b.memory, 'memory.usage_in_bytes'), limit: num(b.memory, 'memory.limit_in_bytes'), max: num(b.memory, 'memory.max_usage_in_bytes') },
          stats: keyValues(b.memory, 'memory.stat'),
        },
        pids: { current: num(b.pids, 'pids.current'), limit: num(b.pids, 'pids.max') },
        blkio: blkioV1(b.blkio),
      };
    }
    const cpuStat = read(join(b.unified ?? '', 'cpu.stat'));
    const usageUsec = /^usage_usec (\d+)$/m.exec(cpuStat)?.[1];
    return {
      cpu: { usage: { total: usageUsec === undefined ? undefined : Number(usageUsec) * 1000 } },
      memory: {
        usage: { usage: num(b.unified, 'memory.current'), limit: num(b.unified, 'memory.max'), max: num(b.unified, 'memory.peak') },
        stats: keyValues(b.unified, 'memory.stat'),
      },
      pids: { current: num(b.unified, 'pids.current'), limit: num(b.unified, 'pids.max') },
      blkio: ioStatV2(b.unified),
    };
  }
}

/**
 * Writes every controller of AVAILABLE into a v2 cgroup.subtree_control,
 * in one write; when the kernel refuses that (a controller that cannot be
 * enabled there, e.g. cpu with a realtime task in the cgroup), WANTED in
 * one write, which must succeed, and the others one by one, as far as
 * they go.
 */
export function enableControllers(file: string, wanted: readonly string[], available: readonly string[], writeFile: (file: string, value: string) => void = write): void {
  const plus = (cs: readonly string[]): string => cs.map((c) => `+${c}`).join(' ');
  if (available.length === 0) return;
  try {
    writeFile(file, plus(available));
    return;
  } catch {
    // one of them cannot be enabled here: the needed ones first
  }
  if (wanted.length) writeFile(file, plus(wanted));
  for (const c of available.filter((a) => !wanted.includes(a))) {
    try {
      writeFile(file, plus([c]));
    } catch {
      // not needed by the container's limits: it goes without
    }
  }
}

/** The oom_kill count of a memory.events (v2) or memory.oom_control (v1) text. */
export function oomKillCount(text: string): number {
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}

/**
 * rmdir of a cgroup DIR, retried while the kernel says EBUSY (its last
 * tasks are still leaving), ATTEMPTS times WAIT_MS apart. Gone already
 * counts as removed; what stays says why.
 */
/**
 * How often rmdir of DIR is tried again while the kernel answers EBUSY: the
 * container's own directories wait for their last tasks to go (up to ~1 s);
 * a parent with children (another container's) is tried once, since v1
 * answers EBUSY for it too, which waiting never changes; a parent without
 * is waited for a little (EBUSY for a moment after its last child went).
 */
export function removalRetries(placement: CgroupPlacement, dir: string, hasChildren: (dir: string) => boolean = childCgroups): number {
  if (placement.dirs.includes(dir)) return 200;
  return hasChildren(dir) ? 0 : 20;
}

function childCgroups(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory());
  } catch {
    return false;
  }
}

export function removeCgroupDir(dir: string, attempts: number, waitMs: number): 'removed' | 'busy' | 'not-empty' {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return 'removed';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'removed';
      if (code === 'ENOTEMPTY') return 'not-empty';
      if (code !== 'EBUSY') throw cgroupError('cannot remove', dir, e);
      if (attempt >= attempts) return 'busy';
      sleepSync(waitMs);
    }
  }
}
