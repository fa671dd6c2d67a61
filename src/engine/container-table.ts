/**
 * The engine's containers in the store's database (the `containers` table:
 * the name is UNIQUE there, so two processes racing for a name cannot both
 * win). The record is JSON in the `config` column; lookups take what Docker
 * takes: a full ID, a unique ID prefix, or a name.
 */
import type { ContainerConfig } from './container-config.js';
import type { Database } from 'better-sqlite3';
import { MobyDickError } from '../errors.js';
import type { ContainerNetworking } from '../network/networks.js';
import type { EngineContainer } from '../spec/spec-builder.js';
import type { HealthConfig } from './health.js';

export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  maximumRetryCount: number;
}

/** Docker's --log-driver values moby-dick has: its json-file log, or none (`logs` cannot read it) */
export type LogDriver = 'json-file' | 'none';

/** --ipc, --pid, --uts and --userns as Docker shows them (HostConfig.IpcMode, ...): a joined container by its full ID */
export interface NamespaceModes {
  /** private, shareable, host, none, or container:ID */
  ipc: string;
  /** '' (its own), host, or container:ID */
  pid: string;
  /** '' (its own) or host */
  uts: string;
  /** '' or host */
  userns: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** the image as given, and its ID; null for a --rootfs container */
  image: string;
  imageId: string | null;
  /** how many words of engine.argv are the entrypoint (records made before it was kept: unknown) */
  entrypointLength?: number;
  created: string;
  /** what the container runs, resolved (the OCI spec is built from it) */
  engine: EngineContainer;
  /** its config as Docker keeps it: the image's with create's on top (container-config.ts; commit starts from it); older records have none */
  config?: ContainerConfig;
  /** the image's layers for the overlay, topmost first; empty for --rootfs */
  layers: string[];
  /** its upper dir is mounted volatile (overlay's option: never synced): a build step's container */
  volatileUpper?: boolean;
  openStdin: boolean;
  /** Docker's StdinOnce: an attach's end closes its stdin (absent in records made before it) */
  stdinOnce?: boolean;
  stopSignal: string;
  /** seconds `stop` waits before SIGKILL */
  stopTimeout: number;
  restart: RestartPolicy;
  autoRemove: boolean;
  init: boolean;
  /** DRIVER: json-file when unset (records made before --log-driver) */
  log: { maxSize: number; maxFiles: number; driver?: LogDriver };
  /** records made before these flags have none: private namespaces */
  namespaceModes?: NamespaceModes;
  /** --volumes-from, as given */
  volumesFrom?: string[];
  /** --group-add, as given */
  groupAdd?: string[];
  labels: Record<string, string>;
  /** named volumes: name -> destination */
  volumes: Record<string, string>;
  /** its networking as asked (records made before networking have none: --network none) */
  net?: ContainerNetworking;
  /** the image's ExposedPorts and --expose ("80/tcp") */
  exposedPorts?: string[];
  /** the image's HEALTHCHECK under --health-* (Docker's Config.Healthcheck); none: no checks */
  healthcheck?: HealthConfig;
  /** the image's SHELL, for a CMD-SHELL health check (/bin/sh -c when it has none) */
  shell?: string[];
  state: {
    startedAt?: string;
    restartCount: number;
    /** `stop` or `kill` by a user: unless-stopped and always do not restart it */
    stoppedByUser?: boolean;
    oomKilled?: boolean;
  };
}

function notFound(ref: string): MobyDickError {
  return new MobyDickError('USAGE', `No such container: ${ref}`, { container: ref, subject: ref });
}

export class ContainerTable {
  constructor(private readonly db: Database) {}

  /** Adds RECORD; a taken name is Docker's conflict error. */
  add(record: ContainerRecord): void {
    try {
      this.db
        .prepare('INSERT INTO containers (id, name, image_id, created_at, config) VALUES (?, ?, ?, ?, ?)')
        .run(record.id, record.name, record.imageId, Date.parse(record.created), JSON.stringify(record));
    } catch (e) {
      throw this.conflict(e, record.name, '');
    }
  }

  /** Gives RECORD the name NAME (saved); a taken name is Docker's conflict error, and RECORD keeps its own. */
  rename(record: ContainerRecord, name: string): void {
    const old = record.name;
    record.name = name;
    try {
      this.save(record);
    } catch (e) {
      record.name = old;
      throw this.conflict(e, name, 'Error when allocating new name: ');
    }
  }

  private conflict(e: unknown, name: string, prefix: string): unknown {
    if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') return e;
    const holder = this.db.prepare('SELECT id FROM containers WHERE name = ?').get(name) as { id: string } | undefined;
    return new MobyDickError('USAGE', `${prefix}Conflict. The container name "/${name}" is already in use by container "${holder?.id ?? '?'}". You have to remove (or rename) that container to be able to reuse that name.`, {
      container: name,
    });
  }

  save(record: ContainerRecord): void {
    this.db.prepare('UPDATE containers SET name = ?, config = ? WHERE id = ?').run(record.name, JSON.stringify(record), record.id);
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  all(): ContainerRecord[] {
    const rows = this.db.prepare('SELECT config FROM containers ORDER BY created_at DESC').all() as { config: string }[];
    return rows.map((r) => JSON.parse(r.config) as ContainerRecord).filter((r) => r.engine !== undefined);
  }

  /** By full ID, name (with or without the leading "/"), or unique ID prefix, as Docker finds them. */
  find(ref: string): ContainerRecord {
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    const row = (this.db.prepare('SELECT config FROM containers WHERE id = ? OR name = ?').get(ref, name) as { config: string } | undefined);
    if (row) return JSON.parse(row.config) as ContainerRecord;
    if (/^[a-f0-9]+$/.test(ref)) {
      const rows = this.db.prepare('SELECT config FROM containers WHERE substr(id, 1, ?) = ?').all(ref.length, ref) as { config: string }[];
      if (rows.length > 1) {
        throw new MobyDickError('USAGE', `multiple IDs found with provided prefix: ${ref}`, { container: ref, hint: 'give more characters of the ID, or the name' });
      }
      if (rows[0]) return JSON.parse(rows[0].config) as ContainerRecord;
    }
    throw notFound(ref);
  }
}
