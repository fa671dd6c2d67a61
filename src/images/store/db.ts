/**
 * The image store's metadata in SQLite (better-sqlite3, as Podman keeps its
 * own in SQLite): WAL so that readers never wait for a writer, a busy
 * timeout so that many moby-dick processes queue for the write lock instead
 * of failing, and every change that belongs together in one transaction.
 *
 * better-sqlite3 is pinned to 12.x: 13 needs Node 22 and crashes on Node 20.
 * It stays outside the esbuild bundles (it loads a .node file), but for the
 * CLI's startup snapshot, which holds its JavaScript (sqlite-driver.ts).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { MobyDickError } from '../../errors.js';
import { type SqliteDriver, sqliteDriver } from './sqlite-driver.js';

export type Database = BetterSqlite3.Database;

/** Each entry moves the schema one version up; never edit a shipped one, add another. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE images (
    id TEXT PRIMARY KEY,                 -- sha256 of the config: the image ID
    created TEXT,                        -- the config's "created"
    os TEXT NOT NULL,
    architecture TEXT NOT NULL,
    variant TEXT,
    size INTEGER NOT NULL,               -- the layers' unpacked sizes, added up
    manifest_digest TEXT,                -- the manifest it came with, when pulled
    manifest_media_type TEXT,
    added_at INTEGER NOT NULL            -- ms since the epoch
  );
  CREATE TABLE layers (
    chain_id TEXT PRIMARY KEY,           -- names the directory layers/<hex>
    diff_id TEXT NOT NULL,               -- sha256 of the uncompressed tar
    parent TEXT,                         -- the chain ID below, or NULL
    size INTEGER NOT NULL                -- bytes of the files in diff/
  );
  CREATE TABLE image_layers (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    chain_id TEXT NOT NULL REFERENCES layers(chain_id),
    PRIMARY KEY (image_id, position)
  );
  CREATE INDEX image_layers_chain ON image_layers(chain_id);
  -- every blob an image keeps: its manifest, its config, its compressed layers
  CREATE TABLE image_blobs (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    PRIMARY KEY (image_id, digest)
  );
  CREATE INDEX image_blobs_digest ON image_blobs(digest);
  -- which compressed blob holds which diff (to push, and to skip downloads)
  CREATE TABLE layer_blobs (
    diff_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (diff_id, digest)
  );
  -- full names: docker.io/library/busybox:latest
  CREATE TABLE tags (
    name TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  );
  CREATE INDEX tags_image ON tags(image_id);
  -- docker.io/library/busybox@sha256:<manifest or index digest>
  CREATE TABLE repo_digests (
    name TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  );
  CREATE INDEX repo_digests_image ON repo_digests(image_id);
  -- a pull or load in progress: what it wrote before registering it, so that
  -- garbage collection leaves it alone while its process lives
  CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    start_time TEXT NOT NULL,            -- of the pid, against pid reuse
    created_at INTEGER NOT NULL
  );
  CREATE TABLE lease_refs (
    lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('blob', 'layer')),
    ref TEXT NOT NULL,
    PRIMARY KEY (lease_id, kind, ref)
  );
  -- for the engine: a container's name is unique however many processes race
  CREATE TABLE containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    image_id TEXT REFERENCES images(id),
    created_at INTEGER NOT NULL,
    config TEXT NOT NULL
  );
  CREATE INDEX containers_image ON containers(image_id);
  `,
  `
  -- networks: the name is unique; config is JSON (subnet, gateway, bridge, internal, labels)
  CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    config TEXT NOT NULL
  );
  -- a running container's place on a network: an address is never handed out twice
  CREATE TABLE endpoints (
    network_id TEXT NOT NULL REFERENCES networks(id),
    container_id TEXT NOT NULL,
    ip TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (network_id, container_id),
    UNIQUE (network_id, ip)
  );
  -- published ports of running containers (host_ip '' is every address)
  CREATE TABLE published_ports (
    protocol TEXT NOT NULL,
    host_ip TEXT NOT NULL,
    host_port INTEGER NOT NULL,
    container_id TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (protocol, host_ip, host_port)
  );
  `,
  `
  -- a store's settings that every later process must see alike, whatever its environment
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  -- the engine's events (util/event-log.ts), oldest first; the last 10,000 are kept
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_nano INTEGER NOT NULL,          -- ns since the epoch
    type TEXT NOT NULL,                  -- container, image, network, volume
    action TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    attributes TEXT NOT NULL             -- JSON object of strings
  );
  CREATE INDEX events_time ON events(time_nano);
  `,
  // the image a build step or a commit made it from (Docker's parent), for rmi:
  // an image with children is not deleted, a deleted one takes its dangling parents
  `
  CREATE TABLE image_parents (
    image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  );
  CREATE INDEX image_parents_parent ON image_parents(parent_id);
  `,
];

export function openDatabase(path: string): Database {
  let driver: SqliteDriver;
  try {
    driver = sqliteDriver();
  } catch (e) {
    throw new MobyDickError('STORE', `cannot load better-sqlite3: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'run npm ci in the moby-dick directory (it builds the SQLite module)',
    });
  }
  let db: Database;
  try {
    db = new driver.Driver(path, { ...driver.options, timeout: 30_000 } as BetterSqlite3.Options);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    reusePrepared(db);
  } catch (e) {
    throw new MobyDickError('STORE', `cannot open the image database ${path}: ${(e as Error).message}`, { subject: path });
  }
  return db;
}

/**
 * DB's prepare() keeps what it made by SQL text and returns it again: the
 * store prepares the same few statements at every step (a build: hundreds
 * of times, ~8 ms of its main thread compiling SQL again). Safe while no
 * statement is iterated (.iterate() keeps one busy): none is.
 */
export function reusePrepared(db: Database): void {
  const prepare = db.prepare.bind(db);
  const made = new Map<string, BetterSqlite3.Statement>();
  db.prepare = ((sql: string) => {
    let st = made.get(sql);
    if (!st) made.set(sql, (st = prepare(sql)));
    return st;
  }) as Database['prepare'];
}

function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= MIGRATIONS.length) return;
  // IMMEDIATE: two processes opening a new store at once migrate one after the other
  db.transaction(() => {
    const now = db.pragma('user_version', { simple: true }) as number;
    for (let v = now; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
