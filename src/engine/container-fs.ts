/**
 * A container's "/" opened from the host as a directory fd, for `cp` and
 * `export`. Every path under it is then opened relative to that fd with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) (design.md's rule): a
 * symlink in the container to /etc is the container's /etc, never the host's.
 *
 * Which "/":
 * - a running container's, through /proc/PID/root of its init: what its
 *   processes see, volumes and binds included (as `docker cp` sees them).
 *   The pid is checked to be the container's (its start time, recorded by
 *   the OCI runtime) before and after the open, so a pid reused meanwhile is
 *   refused. Writes go through the container's own overlay.
 * - otherwise an overlay of its layers as a detached mount (view.c's
 *   mountOverlay): mounted nowhere, freed when the fd closes, also if this
 *   process is killed, so no mount can be left behind. Read-only with the
 *   writable layer as the topmost lower layer (touching neither its work
 *   dir nor its upper); read-write, with upper and work, only for a stopped
 *   container and under its lock, which `start` takes too: a start waits
 *   for the copy instead of mounting the same writable layer beside it.
 *   Its volumes and binds are bound onto that detached overlay where the
 *   container would see them (view.c's attachBind: open_tree + move_mount
 *   into the detached tree, the target resolved in it with RESOLVE_IN_ROOT),
 *   so `cp` of a stopped container reads and writes them as Docker's does;
 *   they go with the overlay's fd too.
 * - `export` always takes the read-only overlay: the container's own files
 *   without its volumes and binds, as Docker exports them.
 */
import { closeSync, openSync, constants as fsc, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { isAlive } from '../oci/proc.js';
import { StateStore } from '../oci/state.js';
import type { ContainerView, Engine, EngineSyscalls } from './engine.js';
import { runRoot } from './paths.js';

export type RootUse = 'read' | 'write' | 'export';

export interface ContainerRoot {
  /** a directory fd of the container's "/", for openat2(RESOLVE_IN_ROOT) */
  readonly fd: number;
  /** through the running container's process, or a detached overlay of its layers */
  readonly via: 'process' | 'overlay';
  readonly view: ContainerView;
}

const PROC_SUPER_MAGIC = 0x9fa0;

/** design.md: check that /proc really is procfs before going through it */
function checkProc(): void {
  if (statfsSync('/proc').type !== PROC_SUPER_MAGIC) {
    throw new MobyDickError('SETUP', '/proc is not procfs: refusing to open a container through it', { subject: '/proc', hint: 'mount procfs on /proc' });
  }
}

/** /proc/PID/root of the container's init, checked to be that process before and after */
export function processRoot(engine: Engine, v: ContainerView): number {
  checkProc();
  const saved = new StateStore(join(runRoot(engine.store.root), 'oci')).read(v.record.id);
  const gone = () =>
    new MobyDickError('USAGE', `container ${v.record.id} is not running any more`, { container: v.record.name, hint: 'try again: a stopped container is read from its layers' });
  if (!isAlive(saved.pid, saved.pidStartTime)) throw gone();
  const fd = openSync(`/proc/${saved.pid}/root`, fsc.O_RDONLY | fsc.O_DIRECTORY);
  if (!isAlive(saved.pid, saved.pidStartTime)) {
    closeSync(fd);
    throw gone();
  }
  return fd;
}

/** What a container's detached overlay is made of: its layers, writable layer and binds (what `rootless-cp` is sent). */
export interface OverlayParts {
  id: string;
  name: string;
  /** the image's layers, topmost first */
  layers: string[];
  upper: string;
  work: string;
  volatile: boolean;
  binds: { destination: string; source: string; readOnly: boolean }[];
}

export function overlayPartsOf(v: ContainerView): OverlayParts {
  return {
    id: v.record.id,
    name: v.record.name,
    layers: [...v.record.layers],
    upper: v.paths.upper,
    work: v.paths.work,
    volatile: v.record.volatileUpper === true,
    binds: v.record.engine.binds.map((b) => ({ destination: b.destination, source: b.source, readOnly: b.readOnly })),
  };
}

/**
 * The container's layers as a detached overlay: read-only unless WRITABLE;
 * with its volumes and binds unless EXPORTING; USERXATTR for a rootless
 * store's layers (mounted by root of the user's user namespace).
 */
export function mountContainerOverlay(sys: Pick<EngineSyscalls, 'mountOverlay' | 'attachBind'>, v: OverlayParts, writable: boolean, exporting: boolean, userxattr = false): number {
  const layers = v.layers.map((l) => Buffer.from(l));
  const upper = Buffer.from(v.upper);
  let fd: number;
  try {
    if (writable) {
      // an image without layers: the writable layer is the whole root (a plain directory: nothing can be bound onto it)
      if (layers.length === 0) return openSync(v.upper, fsc.O_RDONLY | fsc.O_DIRECTORY);
      fd = sys.mountOverlay(layers, upper, Buffer.from(v.work), v.volatile, userxattr);
    } else {
      fd = sys.mountOverlay([upper, ...layers], null, null, false, userxattr);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new MobyDickError('SETUP', `cannot mount the filesystem of container ${v.id}: ${err.message}`, {
      container: v.name,
      step: 'mount overlay',
      errnoName: err.code,
    });
  }
  if (!exporting) {
    try {
      attachBinds(sys, fd, v);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }
  return fd;
}

/** V's binds and volumes onto the detached overlay ROOT, outermost first; a mount point the container never made is skipped. */
function attachBinds(sys: Pick<EngineSyscalls, 'attachBind'>, root: number, v: OverlayParts): void {
  const binds = [...v.binds].sort((a, b) => a.destination.split('/').length - b.destination.split('/').length);
  for (const b of binds) {
    try {
      sys.attachBind(root, Buffer.from(b.destination), Buffer.from(b.source), b.readOnly);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') continue; // never started: no mount point (or a file bind)
      throw new MobyDickError('SETUP', `cannot mount ${b.source} at ${b.destination} of container ${v.id}: ${err.message}`, {
        container: v.name,
        step: 'mount volume',
        errnoName: err.code,
      });
    }
  }
}

/**
 * Runs FN with the root of container REF opened for USE; closes it after
 * (for an overlay that is its unmount). A write to a stopped container holds
 * the container's lock, as its monitor's container-exited does.
 */
export async function withContainerRoot<T>(engine: Engine, ref: string, use: RootUse, fn: (root: ContainerRoot) => Promise<T>): Promise<T> {
  const record = engine.containers.find(ref);
  const run = async (): Promise<T> => {
    const view = engine.view(record);
    const live = view.state.Running && use !== 'export';
    const fd = live ? processRoot(engine, view) : mountContainerOverlay(engine.syscalls, overlayPartsOf(view), use === 'write', use === 'export');
    try {
      return await fn({ fd, via: live ? 'process' : 'overlay', view });
    } finally {
      closeSync(fd);
    }
  };
  if (use !== 'write' || engine.view(record).state.Running) return run();
  return engine.locked(record.id, run);
}
