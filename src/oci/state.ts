/**
 * The runtime's state directory: one directory per container under --root
 * (default /run/moby-dick), holding state.json, the exec fifo while it waits
 * for `start`, a lock file, and the fast state the launcher reads
 * (fast-state.ts). Status is not stored: it is read from /proc
 * each time, so it stays true when nothing is running.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { nativeAddon } from '../helper/native-addon.js';
import { isAlive, procStat } from './proc.js';
import { FAST_STATE_FILE, writeFastState } from './fast-state.js';
import { OCI_VERSION, type OciState, RUNTIME_MESSAGES, runtimeMessage, type SavedState, type Status } from './saved-state.js';

export const DEFAULT_ROOT = '/run/moby-dick';
/** the files of a container's directory (the launcher's fast path knows them too: native/launcher/fast.h) */
export const LOCK_FILE = 'lock';
export const FIFO_FILE = 'exec.fifo';

export { OCI_VERSION } from './saved-state.js';
export type { OciState, SavedState, Status } from './saved-state.js';

const ID = /^[\w+\-.]+$/;
/** An id names a directory under --root and the container's cgroup: NAME_MAX */
export const MAX_ID_LENGTH = 255;

export function checkId(id: string): void {
  if (id.length > MAX_ID_LENGTH) {
    throw new MobyDickError('USAGE', `invalid container id ${JSON.stringify(`${id.slice(0, 32)}...`)}: ${id.length} characters, at most ${MAX_ID_LENGTH}`, {
      subject: 'container id',
      hint: `use an id of at most ${MAX_ID_LENGTH} characters`,
    });
  }
  if (!ID.test(id) || id === '.' || id === '..') {
    throw new MobyDickError('USAGE', `invalid container id ${JSON.stringify(id)}`, {
      subject: id,
      hint: 'use letters, digits, _, +, - and .',
    });
  }
}

/** a container directory's claimer: "PID STARTTIME\n" of the process that claimed the id (StateStore.claim) */
export const CLAIM_FILE = 'claim';
/** a directory with no claim written and no state: its claimer is between its mkdir and its write no longer than this */
const UNWRITTEN_CLAIM_MS = 10_000;

/** Whether the container directory DIR is a claim whose claimer is gone before the container had its pid. */
export function claimIsStale(dir: string, now = Date.now()): boolean {
  try {
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { pid?: unknown };
    if (typeof saved.pid === 'number' && saved.pid > 0) return false; // a container: its delete removes it
  } catch {
    /* no state yet (or half written): the claim decides */
  }
  let claim: string;
  try {
    claim = readFileSync(join(dir, CLAIM_FILE), 'utf8');
  } catch {
    try {
      return now - statSync(dir).mtimeMs > UNWRITTEN_CLAIM_MS;
    } catch {
      return false;
    }
  }
  const m = /^(\d+) (\d+)\n$/.exec(claim);
  if (!m) return false;
  return !isAlive(Number(m[1]), m[2]!);
}

export function notFound(id: string): MobyDickError {
  return new MobyDickError('USAGE', runtimeMessage(RUNTIME_MESSAGES.notFound, id), { container: id, subject: id });
}

/** takes an exclusive lock on the file at PATH (made when missing); returns the fd that holds it */
export type LockFile = (path: string) => number;

export class StateStore {
  constructor(
    readonly root: string = DEFAULT_ROOT,
    /** the addon's flock by default (loaded at the first lock); tests give their own */
    private readonly lockFile: LockFile = (path) => nativeAddon().lock(path),
  ) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  fifo(id: string): string {
    return join(this.dir(id), FIFO_FILE);
  }

  /**
   * Claims ID: of two creates of one id, exactly one gets here. The claim
   * names its claimer (CLAIM_FILE: pid and start time), so that a claim
   * whose claimer died before the container had its pid (a compile service
   * killed mid-request, a runtime killed while it compiled) is recognised
   * and released by the next claim instead of blocking the id for good.
   */
  claim(id: string): void {
    checkId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    for (let attempt = 0; ; attempt++) {
      try {
        mkdirSync(this.dir(id), { mode: 0o711 });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (attempt === 2 || !this.releaseStaleClaim(id)) {
          throw new MobyDickError('USAGE', `container with id "${id}" already exists`, { container: id, subject: id });
        }
      }
    }
    writeFileSync(join(this.dir(id), CLAIM_FILE), `${process.pid} ${procStat(process.pid)?.startTime ?? ''}\n`);
  }

  /**
   * Removes ID's directory if it is a claim whose claimer is gone: no
   * container pid recorded, and the claimer named in CLAIM_FILE no longer
   * alive (or, with no claim written, the directory older than
   * UNWRITTEN_CLAIM_MS). Decided under the directory's lock, and only if
   * the directory is still the one locked. True when the id may be tried
   * again.
   */
  private releaseStaleClaim(id: string): boolean {
    const dir = this.dir(id);
    let fd: number;
    try {
      fd = this.lockFile(join(dir, LOCK_FILE));
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT'; // gone meanwhile: try again
    }
    let tomb: string | undefined;
    try {
      try {
        if (fstatSync(fd).ino !== statSync(join(dir, LOCK_FILE)).ino) return true; // replaced meanwhile
      } catch {
        return true;
      }
      if (!claimIsStale(dir)) return false;
      tomb = join(this.root, `@stale-${process.pid}-${Date.now()}`);
      renameSync(dir, tomb);
    } finally {
      closeSync(fd);
    }
    rmSync(tomb, { recursive: true, force: true });
    return true;
  }

  /** Holds an exclusive lock on ID while FN runs: one operation per container at a time. */
  withLock<T>(id: string, fn: () => T): T {
    checkId(id);
    if (!existsSync(this.dir(id))) throw notFound(id);
    const fd = this.lockFile(join(this.dir(id), LOCK_FILE));
    try {
      return fn();
    } finally {
      closeSync(fd);
    }
  }

  /** withLock() for an asynchronous FN: the lock is held until its promise settles */
  async withLockAsync<T>(id: string, fn: () => Promise<T>): Promise<T> {
    checkId(id);
    if (!existsSync(this.dir(id))) throw notFound(id);
    const fd = this.lockFile(join(this.dir(id), LOCK_FILE));
    try {
      return await fn();
    } finally {
      closeSync(fd);
    }
  }

  read(id: string): SavedState {
    checkId(id);
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as SavedState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw e;
    }
  }

  /** state.json, and once the container has its pid the fast state the launcher reads (fast-state.ts) */
  write(state: SavedState): void {
    const file = join(this.dir(state.id), 'state.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
    if (state.pid > 0) writeFastState(this.dir(state.id), state, this.ociState(state, 'created'));
  }

  /**
   * Set by a long-running engine: a state directory is then moved aside at
   * once (its fast state and state.json with it) and its files deleted in
   * the background (engine/background-removal.ts).
   */
  removal: { remove(path: string): void } | undefined;

  remove(id: string): void {
    if (this.removal) {
      this.removal.remove(this.dir(id));
      return;
    }
    // the fast state first: a launcher never finds it without its state.json
    rmSync(join(this.dir(id), FAST_STATE_FILE), { force: true });
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((n) => ID.test(n)).sort();
    } catch {
      return [];
    }
  }

  status(state: SavedState, frozen: () => boolean = () => false): Status {
    if (state.pid === 0) return 'creating';
    if (!isAlive(state.pid, state.pidStartTime)) return 'stopped';
    if (existsSync(this.fifo(state.id))) return 'created';
    return frozen() ? 'paused' : 'running';
  }

  ociState(state: SavedState, status: Status): OciState {
    return {
      ociVersion: OCI_VERSION,
      id: state.id,
      pid: status === 'stopped' ? 0 : state.pid,
      status,
      bundle: state.bundle,
      rootfs: state.rootfs,
      created: state.created,
      owner: state.owner,
      ...(state.annotations ? { annotations: state.annotations } : {}),
    };
  }
}
