/**
 * Named volumes, as Docker's "local" driver keeps them: STORE/volumes/NAME/_data
 * is what containers mount (Engine's -v NAME:/dst makes it on first use),
 * STORE/volumes/NAME/volume.json what `volume create` was told (labels, and
 * the driver options -o type=, device=, o=, as Docker's local driver takes
 * them: such a volume is that filesystem, mounted by the runtime in each
 * container that uses it, inside the container's own mount namespace, so
 * nothing is ever mounted on the host; type=none with o=bind binds DEVICE.
 * One difference from Docker, named: two containers using one tmpfs volume
 * at once each get a tmpfs of their own, where Docker's share one).
 * A volume is in use while a container record names it, running or not,
 * as Docker counts it. Anonymous volumes are named by 64 hex digits.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { EventRecorder } from '../util/event-log.js';
import type { ContainerRecord } from './container-table.js';

export interface Volume {
  name: string;
  /** the directory containers mount */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
  /** -o of `volume create`: type, device, o */
  options: VolumeOptions;
}

export interface VolumeOptions {
  type?: string;
  device?: string;
  o?: string;
}

const OPTION_KEYS = new Set(['type', 'device', 'o']);

/** -o KEY=VALUE values, as Docker's local driver takes them. */
export function parseVolumeOptions(opts: readonly string[]): VolumeOptions {
  const out: VolumeOptions = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || !OPTION_KEYS.has(key)) {
      throw new MobyDickError('USAGE', `invalid option key: "${key}"`, { subject: o, hint: 'the local driver takes -o type=TYPE, -o device=DEVICE, -o o=MOUNT,OPTIONS' });
    }
    out[key as keyof VolumeOptions] = o.slice(eq + 1);
  }
  if ((out.type === undefined) !== (out.device === undefined)) {
    throw new MobyDickError('USAGE', 'missing required option: "type" and "device" go together', { hint: 'e.g. -o type=tmpfs -o device=tmpfs -o o=size=100m' });
  }
  if (out.o !== undefined && out.type === undefined) throw new MobyDickError('USAGE', 'missing required option: "type"', { subject: `o=${out.o}` });
  return out;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const ANONYMOUS = /^[a-f0-9]{64}$/;

export function volumesRoot(storeRoot: string): string {
  return join(storeRoot, 'volumes');
}

/** Refuses what Docker's local driver refuses; the name becomes a directory name, so nothing else may pass. */
export function checkVolumeName(name: string): void {
  if (name.length < 2 && /^[a-zA-Z0-9]?$/.test(name)) {
    throw new MobyDickError('USAGE', 'volume name is too short, names should be at least two alphanumeric characters', { subject: name });
  }
  if (!VOLUME_NAME.test(name)) {
    throw new MobyDickError('USAGE', `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`, {
      subject: name,
    });
  }
}

function noSuchVolume(name: string): MobyDickError {
  return new MobyDickError('USAGE', `get ${name}: no such volume`, { subject: name });
}

export class VolumeStore {
  readonly root: string;

  constructor(
    storeRoot: string,
    /** where create and destroy are recorded (the store's events) */
    private readonly events: EventRecorder = () => {},
    /** removes a volume's directory (an ordinary user's store: its files of the user's subordinate ids need the user namespace, jail/rootless-store.ts) */
    private readonly removeTree: (path: string) => void = (path) => rmSync(path, { recursive: true, force: true }),
  ) {
    this.root = volumesRoot(storeRoot);
  }

  private dir(name: string): string {
    checkVolumeName(name);
    return join(this.root, name);
  }

  /** `volume create [NAME]`: an existing volume is returned as it is, as Docker does. */
  create(name?: string, labels: Record<string, string> = {}, options: VolumeOptions = {}): Volume {
    const n = name ?? randomBytes(32).toString('hex');
    const dir = this.dir(n);
    if (!existsSync(join(dir, '_data'))) {
      mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
      writeFileSync(join(dir, 'volume.json'), JSON.stringify({ createdAt: new Date().toISOString(), labels, options }));
      this.events('volume', 'create', n, { driver: 'local' });
    }
    return this.get(n);
  }

  get(name: string): Volume {
    const dir = this.dir(name);
    const data = join(dir, '_data');
    let st;
    try {
      st = lstatSync(data);
    } catch {
      throw noSuchVolume(name);
    }
    if (!st.isDirectory()) throw noSuchVolume(name);
    let meta: { createdAt?: string; labels?: Record<string, string>; options?: VolumeOptions } = {};
    try {
      meta = JSON.parse(readFileSync(join(dir, 'volume.json'), 'utf8')) as typeof meta;
    } catch {
      /* made by `run -v NAME:/dst`: no labels, created when its directory was */
    }
    return {
      name,
      mountpoint: data,
      createdAt: meta.createdAt ?? statSync(dir).birthtime.toISOString(),
      labels: meta.labels ?? {},
      anonymous: ANONYMOUS.test(name),
      options: meta.options ?? {},
    };
  }

  list(): Volume[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names
      .filter((n) => VOLUME_NAME.test(n))
      .flatMap((n) => {
        try {
          return [this.get(n)];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The containers that name volume NAME. */
  static users(name: string, containers: readonly ContainerRecord[]): ContainerRecord[] {
    return containers.filter((c) => Object.hasOwn(c.volumes, name));
  }

  /**
   * `volume rm`: refuses a volume a container uses (FORCE does not change
   * that, as in Docker); FORCE only makes a missing volume no error.
   */
  remove(name: string, containers: readonly ContainerRecord[], force = false): boolean {
    try {
      this.get(name);
    } catch (e) {
      if (force) return false;
      throw e;
    }
    const users = VolumeStore.users(name, containers);
    if (users.length) {
      throw new MobyDickError('USAGE', `remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`, {
        subject: name,
        hint: 'remove the containers that use it first',
      });
    }
    this.removeTree(this.dir(name));
    this.events('volume', 'destroy', name, { driver: 'local' });
    return true;
  }

  /** `volume prune`: the unused volumes (only anonymous ones unless ALL), removed; names and bytes freed. */
  prune(containers: readonly ContainerRecord[], all: boolean, keep: (v: Volume) => boolean = () => false): { deleted: string[]; bytes: number } {
    const deleted: string[] = [];
    let bytes = 0;
    for (const v of this.list()) {
      if ((!all && !v.anonymous) || VolumeStore.users(v.name, containers).length || keep(v)) continue;
      bytes += diskUsage(v.mountpoint);
      this.removeTree(this.dir(v.name));
      deleted.push(v.name);
      this.events('volume', 'destroy', v.name, { driver: 'local' });
    }
    return { deleted, bytes };
  }
}

/** Bytes of the files under PATH (not following symlinks, a hard link once), as Docker adds up a layer's size. */
export function diskUsage(path: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(p);
      } catch (e) {
        // rootless: a directory of a subordinate id that only its owner may read (counted as empty)
        if ((e as NodeJS.ErrnoException).code === 'EACCES') return;
        throw e;
      }
      for (const e of names) walk(join(p, e));
      return;
    }
    const inode = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && seen.has(inode)) return;
    seen.add(inode);
    total += st.size;
  };
  walk(path);
  return total;
}

/** Docker's volume inspect document (CreatedAt to the second, empty labels and options as null, as dockerd sends them). */
export function volumeDocument(v: Volume) {
  return {
    CreatedAt: `${v.createdAt.slice(0, 19)}Z`,
    Driver: 'local',
    Labels: Object.keys(v.labels).length ? v.labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length ? (v.options as Record<string, string>) : null,
    Scope: 'local' as const,
  };
}
