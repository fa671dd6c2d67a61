/** A container's mounts and volumes, from its create request. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { EventRecorder } from '../util/event-log.js';
import type { ContainerTable } from './container-table.js';
import type { CreateRequest } from './create-request.js';
import type { BindMount, FilesystemMount, TmpfsMount } from '../spec/spec-builder.js';
import { checkVolumeName, VolumeStore } from './volumes.js';

/**
 * Whether the bind source PATH exists; one this process may not look at (an
 * ordinary user's -v of root's directory: the kernel refuses the user the
 * lookup, so the container could not have it either) refused in one line.
 */
function reachable(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      throw new MobyDickError('USAGE', `invalid mount config for type "bind": bind source path ${path}: permission denied${process.geteuid?.() === 0 ? '' : ' (rootless: the kernel lets an ordinary user bind only what the user can reach)'}`, {
        subject: path,
        hint: 'bind a directory you can read, or run as root',
      });
    }
    return false;
  }
}

/** -v's missing source made, as Docker makes it; one this process may not make refused in one line */
function makeSource(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o755 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'EACCES' && err.code !== 'EPERM' && err.code !== 'EROFS') throw e;
    throw new MobyDickError('USAGE', `invalid mount config for type "bind": cannot create bind source path ${path}: ${err.code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, {
      subject: path,
      errnoName: err.code,
      hint: 'create the directory first, or bind one you can write',
    });
  }
}

/** where the volume NAME's data lies */
export function volumeDir(storeRoot: string, name: string): string {
  return join(storeRoot, 'volumes', name, '_data');
}

/**
 * The mounts REQ asks for, as the spec builder takes them: binds (a -v
 * source made when missing), named and anonymous volumes under the store
 * root (VOLUMES gets each one's name and destination), a volume of the
 * local driver's bind or filesystem kind, and tmpfs.
 */
export function containerMounts(
  storeRoot: string,
  req: CreateRequest,
  volumes: Record<string, string>,
  events: EventRecorder = () => {},
): { binds: BindMount[]; tmpfs: TmpfsMount[]; filesystems: FilesystemMount[] } {
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
      source = volumeDir(storeRoot, name);
      const made = !existsSync(source);
      mkdirSync(source, { recursive: true, mode: 0o755 });
      if (made) events('volume', 'create', name, { driver: 'local' });
      volumes[name] = m.destination;
      const o = new VolumeStore(storeRoot).get(name).options;
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
    } else if (!reachable(source)) {
      if (!m.createSource) {
        throw new MobyDickError('USAGE', `invalid mount config for type "bind": bind source path does not exist: ${source}`, { subject: source });
      }
      makeSource(source);
    }
    binds.push({ source, destination: m.destination, readOnly: m.readOnly, ...(m.propagation ? { propagation: m.propagation } : {}) });
  }
  return { binds, tmpfs, filesystems };
}

/** --volumes-from CONTAINER[:ro|rw]: its name or ID and the access asked (undefined: as the container has them). */
export function parseVolumesFrom(spec: string): { ref: string; readOnly?: boolean } {
  const colon = spec.lastIndexOf(':');
  if (colon < 0) return { ref: spec };
  const mode = spec.slice(colon + 1);
  const ref = spec.slice(0, colon);
  if ((mode !== 'ro' && mode !== 'rw') || ref === '') {
    throw new MobyDickError('USAGE', `invalid mode for volumes-from: ${mode}`, { subject: spec, hint: 'give --volumes-from CONTAINER, CONTAINER:ro or CONTAINER:rw' });
  }
  return { ref, readOnly: mode === 'ro' };
}

/**
 * --volumes-from: the volumes and binds of each container SPECS names, at
 * the same destinations, read-only when asked (":ro"), as Docker does; a
 * destination the container mounts something of its own at keeps its own.
 * The named and anonymous volumes go into OUT.volumes too (`rm -v` leaves
 * a volume that another container still has).
 */
export function volumesFrom(
  containers: Pick<ContainerTable, 'find'>,
  specs: readonly string[],
  out: { binds: BindMount[]; filesystems: FilesystemMount[]; tmpfs?: readonly TmpfsMount[]; volumes: Record<string, string> },
): void {
  for (const spec of specs) {
    const { ref, readOnly } = parseVolumesFrom(spec);
    const from = containers.find(ref);
    const taken = new Set([...out.binds, ...out.filesystems, ...(out.tmpfs ?? [])].map((m) => m.destination));
    for (const b of from.engine.binds) {
      if (taken.has(b.destination)) continue;
      out.binds.push({ ...b, readOnly: readOnly ?? b.readOnly });
    }
    for (const f of from.engine.filesystems ?? []) {
      if (taken.has(f.destination)) continue;
      const options = f.options.filter((o) => o !== 'ro' && o !== 'rw');
      out.filesystems.push({ ...f, options: [...options, ...((readOnly ?? f.options.includes('ro')) ? ['ro'] : [])] });
    }
    for (const [name, destination] of Object.entries(from.volumes)) if (!taken.has(destination)) out.volumes[name] = destination;
  }
}
