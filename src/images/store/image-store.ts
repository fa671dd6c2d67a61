/**
 * The image store: content-addressed blobs, unpacked layers shared between
 * images, and the metadata of images, tags and layers in SQLite.
 *
 *   <root>/images.db             metadata (WAL)
 *   <root>/blobs/sha256/<hex>    manifests, configs, compressed layers
 *   <root>/ingest/               blobs being written
 *   <root>/layers/<chain hex>/diff  an unpacked layer
 *   <root>/layers/tmp/           layers being unpacked or deleted
 *
 * Writers take a lease first: every blob and layer directory they put on
 * disk is recorded under it (in the same transaction as the rename that
 * makes it visible), so garbage collection in another process leaves them
 * alone while the writer lives. The image, its layers and tags are then
 * registered in one transaction that also ends the lease; a writer that
 * fails removes what it leased, and one that was killed leaves a lease whose
 * owner is dead: its blobs and layers are whole (they were renamed into
 * place only once verified) and are reused by the next pull or removed by
 * garbage collection.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MobyDickError } from '../../errors.js';
import { isRootless, userDataHome } from '../../rootless/rootless.js';
import { decompress } from '../decompress.js';
import { type ImageConfig, parseImageConfig } from '../manifest.js';
import { DigestCounter } from '../digest.js';
import type { LayerUnpacker } from './layer-unpacker.js';
import { BlobStore, Guarded } from './blobs.js';
import { EventLog } from '../../util/event-log.js';
import { type Database, openDatabase } from './db.js';
import { directorySize, LayerDirs, type LayerMeta } from './layers.js';
import { currentOwner, isAlive } from './owner.js';
import { SpaceGuard, type StoreLimits, storeLimits } from './space.js';

export const DEFAULT_STORE_ROOT = '/var/lib/moby-dick';

/** The store's root: $MOBY_DICK_ROOT or /var/lib/moby-dick; an ordinary user's under $XDG_DATA_HOME (rootless). */
export function storeRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOBY_DICK_ROOT || (isRootless() ? join(userDataHome(env), 'moby-dick') : DEFAULT_STORE_ROOT);
}

export interface ImageRecord {
  /** sha256:<config digest> */
  id: string;
  created: string | undefined;
  os: string;
  architecture: string;
  variant: string | undefined;
  size: number;
  manifestDigest: string | undefined;
  manifestMediaType: string | undefined;
  addedAt: number;
  /** full names: docker.io/library/busybox:latest */
  tags: string[];
  /** docker.io/library/busybox@sha256:... */
  repoDigests: string[];
  /** chain IDs, lowest first */
  layers: string[];
}

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent: string | undefined;
  size: number;
}

export interface NewLayer extends LayerRecord {
  /** the compressed blob it came from, when the store keeps it */
  blob?: { digest: string; mediaType: string; size: number };
}

export interface NewImage {
  id: string;
  created: string | undefined;
  os: string;
  architecture: string;
  variant: string | undefined;
  manifest?: { digest: string; mediaType: string };
  layers: NewLayer[];
  tags: string[];
  repoDigests: string[];
  /** the image it was made from (a build step's, a commit's): Docker's parent */
  parent?: string;
}

export interface GcResult {
  blobs: number;
  layers: number;
  bytes: number;
}

interface ImageRow {
  id: string;
  created: string | null;
  os: string;
  architecture: string;
  variant: string | null;
  size: number;
  manifest_digest: string | null;
  manifest_media_type: string | null;
  added_at: number;
}

export interface ImageStoreOptions {
  /** default: storeRoot() */
  root?: string;
  /** unpacks a layer's plain tar into a directory (see layer-unpacker.ts) */
  unpacker: LayerUnpacker;
  /** removes a layer's directory tree (default fs.rmSync; a rootless store's: jail/rootless-store.ts) */
  removeTree?: (path: string) => void;
  /** the free space to keep and the largest layer (space.ts); default: from the environment, when first needed */
  limits?: StoreLimits;
}

/** What a pull (or load) in progress holds. */
export class Lease {
  private ended = false;
  constructor(
    private readonly store: ImageStore,
    readonly id: string,
  ) {}

  /** Moves a verified ingest file into place as DIGEST, under this lease. */
  commitBlob(digest: string, ingestPath: string): void {
    this.store.inTransaction(() => {
      this.store.addRef(this.id, 'blob', digest);
      if (this.store.blobs.has(digest)) rmSync(ingestPath, { force: true });
      else renameSync(ingestPath, this.store.blobs.path(digest));
    });
  }

  /** Holds a blob already on disk; false when there is none. */
  claimBlob(digest: string): boolean {
    return this.store.inTransaction(() => {
      if (!this.store.blobs.has(digest)) return false;
      this.store.addRef(this.id, 'blob', digest);
      return true;
    });
  }

  /** Holds a layer directory already on disk; false when there is none. */
  claimLayer(chainId: string): boolean {
    return this.store.inTransaction(() => {
      if (!this.store.layerDirs.exists(chainId)) return false;
      this.store.addRef(this.id, 'layer', chainId);
      return true;
    });
  }

  installLayer(tmp: string, chainId: string, meta: LayerMeta): void {
    this.store.inTransaction(() => {
      this.store.addRef(this.id, 'layer', chainId);
      this.store.layerDirs.install(tmp, chainId, meta);
    });
  }

  /** Ends the lease and removes what it wrote that nothing else holds. */
  abandon(): void {
    if (this.ended) return;
    this.ended = true;
    this.store.dropLease(this.id, true);
  }

  markEnded(): void {
    this.ended = true;
  }
}

export class ImageStore {
  readonly root: string;
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly layerDirs: LayerDirs;
  private readonly unpacker: LayerUnpacker;
  private limitsSet?: StoreLimits;
  /** removes a directory tree of the store (ImageStoreOptions.removeTree) */
  readonly removeTree: (path: string) => void;

  constructor(opts: ImageStoreOptions) {
    this.root = opts.root ?? storeRoot();
    this.unpacker = opts.unpacker;
    this.removeTree = opts.removeTree ?? ((path) => rmSync(path, { recursive: true, force: true }));
    if (opts.limits) this.limitsSet = opts.limits;
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      this.blobs = new BlobStore(this.root);
      this.blobs.guard = (what) => this.guard(what);
      this.layerDirs = new LayerDirs(this.root, this.removeTree);
    } catch (e) {
      throw new MobyDickError('STORE', `cannot use the image store at ${this.root}: ${(e as Error).message}`, {
        subject: this.root,
        hint: 'moby-dick needs root, or set MOBY_DICK_ROOT to a directory you can write',
      });
    }
    this.db = openDatabase(join(this.root, 'images.db'));
  }

  close(): void {
    this.db.close();
  }

  private eventLog?: EventLog;

  /** The engine's events, in this database (util/event-log.ts): what image operations, containers, networks and volumes record. */
  get events(): EventLog {
    this.eventLog ??= new EventLog(this.db);
    return this.eventLog;
  }

  /** MOBY_DICK_STORE_RESERVE and MOBY_DICK_MAX_LAYER_SIZE (space.ts), read when first needed */
  get limits(): StoreLimits {
    this.limitsSet ??= storeLimits();
    return this.limitsSet;
  }

  /** A watch on a write of WHAT into the store: the reserve of free space, and MAX_BYTES */
  guard(what: string, maxBytes = Infinity): SpaceGuard {
    return new SpaceGuard(this.root, this.limits, what, maxBytes);
  }

  /** FN in one IMMEDIATE transaction: it waits for other writers, then holds the write lock. */
  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- leases ------------------------------------------------------------

  beginLease(): Lease {
    const o = currentOwner();
    const id = `${o.pid}-${o.startTime}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    this.db.prepare('INSERT INTO leases (id, pid, start_time, created_at) VALUES (?, ?, ?, ?)').run(id, o.pid, o.startTime, Date.now());
    return new Lease(this, id);
  }

  /** @internal */
  addRef(leaseId: string, kind: 'blob' | 'layer', ref: string): void {
    this.db.prepare('INSERT OR IGNORE INTO lease_refs (lease_id, kind, ref) VALUES (?, ?, ?)').run(leaseId, kind, ref);
  }

  /** @internal Ends a lease; with REMOVE, deletes its blobs and layers that nothing else holds. */
  dropLease(leaseId: string, remove: boolean): void {
    const detached: string[] = [];
    this.inTransaction(() => {
      const refs = this.db.prepare('SELECT kind, ref FROM lease_refs WHERE lease_id = ?').all(leaseId) as { kind: string; ref: string }[];
      this.db.prepare('DELETE FROM leases WHERE id = ?').run(leaseId);
      if (!remove) return;
      const held = this.liveLeaseRefs();
      for (const { kind, ref } of refs) {
        if (held.has(`${kind}:${ref}`)) continue;
        if (kind === 'blob' && !this.blobReferenced(ref)) rmSync(this.blobs.path(ref), { force: true });
        if (kind === 'layer' && !this.layerRegistered(ref)) {
          const d = this.layerDirs.detach(ref);
          if (d) detached.push(d);
        }
      }
    });
    for (const d of detached) this.layerDirs.remove(d);
  }

  /** "kind:ref" of every lease whose owner lives; leases of dead owners are deleted. */
  private liveLeaseRefs(): Set<string> {
    const leases = this.db.prepare('SELECT id, pid, start_time FROM leases').all() as { id: string; pid: number; start_time: string }[];
    for (const l of leases) {
      if (!isAlive({ pid: l.pid, startTime: l.start_time })) this.db.prepare('DELETE FROM leases WHERE id = ?').run(l.id);
    }
    const rows = this.db.prepare('SELECT kind, ref FROM lease_refs').all() as { kind: string; ref: string }[];
    return new Set(rows.map((r) => `${r.kind}:${r.ref}`));
  }

  private blobReferenced(digest: string): boolean {
    return this.db.prepare('SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1').get(digest) !== undefined;
  }

  private layerRegistered(chainId: string): boolean {
    return this.db.prepare('SELECT 1 FROM layers WHERE chain_id = ?').get(chainId) !== undefined;
  }

  /**
   * Removes temp layer dirs and leases of dead processes, and their ingest
   * files except the recent ones a pull may resume.
   */
  cleanStale(): void {
    this.blobs.cleanIngest(true);
    this.layerDirs.cleanTemp();
    this.inTransaction(() => void this.liveLeaseRefs());
  }

  // ---- layers ------------------------------------------------------------

  hasLayer(chainId: string): boolean {
    return this.layerRegistered(chainId) && this.layerDirs.exists(chainId);
  }

  layer(chainId: string): LayerRecord | undefined {
    const r = this.db.prepare('SELECT chain_id, diff_id, parent, size FROM layers WHERE chain_id = ?').get(chainId) as
      | { chain_id: string; diff_id: string; parent: string | null; size: number }
      | undefined;
    return r && { chainId: r.chain_id, diffId: r.diff_id, parent: r.parent ?? undefined, size: r.size };
  }

  /** The compressed blob known to hold DIFF_ID, if the store has it. */
  blobForDiff(diffId: string): { digest: string; mediaType: string; size: number } | undefined {
    const rows = this.db.prepare('SELECT digest, media_type, size FROM layer_blobs WHERE diff_id = ?').all(diffId) as {
      digest: string;
      media_type: string;
      size: number;
    }[];
    const r = rows.find((x) => this.blobs.has(x.digest));
    return r && { digest: r.digest, mediaType: r.media_type, size: r.size };
  }

  /**
   * Unpacks the layer blob BLOB_DIGEST (gzip, zstd or plain) into a temp
   * dir, checks that its plain tar has DIFF_ID, and installs it as CHAIN_ID
   * under LEASE. Returns the unpacked size. Throws with the layer named.
   */
  async unpackLayer(lease: Lease, blobDigest: string, diffId: string, chainId: string): Promise<number> {
    // the unpacked tar is watched: the store's free space, the largest layer (a decompression bomb stops here)
    const guard = this.guard('unpacking it', this.limits.maxLayerBytes);
    guard.check();
    const tmp = this.layerDirs.makeTemp();
    let source: Readable | undefined;
    try {
      const counter = new DigestCounter();
      if (this.unpacker.fromFile) {
        // the unpacker reads the blob itself and shows us the plain tar
        await this.unpacker.fromFile(this.blobs.path(blobDigest), join(tmp, 'diff'), {
          diffId,
          observe: (c) => {
            guard.add(c.length);
            counter.absorb(c);
          },
        });
        return this.installUnpacked(lease, tmp, counter, diffId, chainId);
      }
      source = this.blobs.stream(blobDigest);
      const plain = Readable.from(decompress(source), { objectMode: false });
      // the unpacker reads the plain tar; it may stop at the end-of-archive
      // blocks, so what it leaves (padding) is drained to finish the hash.
      // The first failure is the one reported: a corrupt gzip, not the
      // unpacker's "premature end" that follows from it.
      let first: unknown;
      const note = (e: unknown): void => {
        first ??= e;
      };
      const feeding = pipeline(plain, new Guarded(guard), counter).catch(note);
      const unpacking = this.unpacker(counter, join(tmp, 'diff'), { diffId }).then(
        () => void counter.resume(),
        (e: unknown) => {
          note(e);
          source?.destroy();
          counter.destroy();
        },
      );
      await Promise.all([feeding, unpacking]);
      if (first !== undefined) throw first;
      return this.installUnpacked(lease, tmp, counter, diffId, chainId);
    } catch (e) {
      source?.destroy();
      this.layerDirs.remove(tmp);
      throw e;
    }
  }

  /**
   * Takes the directory DIR as the layer CHAIN_ID under LEASE, moved into
   * the store instead of unpacked from a blob: DIR must hold exactly what
   * the unpacker would make of the layer's tar (diff ID DIFF_ID, TAR_SIZE
   * bytes), as a build step's upper dir does (layer-diff.ts). Returns the
   * unpacked size, or undefined when DIR is on another file system (left
   * where it is: unpack the blob then).
   */
  adoptLayer(lease: Lease, dir: string, diffId: string, chainId: string, tarSize: number): number | undefined {
    const tmp = this.layerDirs.adoptTemp(dir);
    if (tmp === undefined) return undefined;
    try {
      const size = directorySize(join(tmp, 'diff'));
      lease.installLayer(tmp, chainId, { diffId, size, tarSize });
      return size;
    } catch (e) {
      this.layerDirs.remove(tmp);
      throw e;
    }
  }

  /** checks the diff ID of the tar COUNTER saw, then installs TMP as CHAIN_ID; its unpacked size */
  private installUnpacked(lease: Lease, tmp: string, counter: DigestCounter, diffId: string, chainId: string): number {
    const got = counter.digest();
    if (got !== diffId) {
      throw new Error(`diff ID mismatch: the uncompressed layer has digest ${got}, the image config says ${diffId}`);
    }
    const size = directorySize(join(tmp, 'diff'));
    lease.installLayer(tmp, chainId, { diffId, size, tarSize: counter.bytes });
    return size;
  }

  // ---- images ------------------------------------------------------------

  /** Registers an image, its layers, blobs and names in one transaction, and ends LEASE. */
  registerImage(lease: Lease, image: NewImage, blobs: readonly string[]): void {
    this.inTransaction(() => {
      for (const l of image.layers) {
        if (!this.layerDirs.exists(l.chainId)) throw new Error(`layer ${l.chainId} is not on disk`);
        this.db
          .prepare('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size) VALUES (?, ?, ?, ?)')
          .run(l.chainId, l.diffId, l.parent ?? null, l.size);
        if (l.blob) {
          this.db
            .prepare('INSERT OR IGNORE INTO layer_blobs (diff_id, digest, media_type, size) VALUES (?, ?, ?, ?)')
            .run(l.diffId, l.blob.digest, l.blob.mediaType, l.blob.size);
        }
      }
      for (const b of blobs) if (!this.blobs.has(b)) throw new Error(`blob ${b} is not on disk`);
      const size = image.layers.reduce((n, l) => n + l.size, 0);
      this.db
        .prepare(
          `INSERT INTO images (id, created, os, architecture, variant, size, manifest_digest, manifest_media_type, added_at)
           VALUES (@id, @created, @os, @architecture, @variant, @size, @md, @mt, @now)
           ON CONFLICT(id) DO UPDATE SET manifest_digest = COALESCE(excluded.manifest_digest, manifest_digest),
             manifest_media_type = COALESCE(excluded.manifest_media_type, manifest_media_type)`,
        )
        .run({
          id: image.id,
          created: image.created ?? null,
          os: image.os,
          architecture: image.architecture,
          variant: image.variant ?? null,
          size,
          md: image.manifest?.digest ?? null,
          mt: image.manifest?.mediaType ?? null,
          now: Date.now(),
        });
      this.db.prepare('DELETE FROM image_layers WHERE image_id = ?').run(image.id);
      image.layers.forEach((l, i) => {
        this.db.prepare('INSERT INTO image_layers (image_id, position, chain_id) VALUES (?, ?, ?)').run(image.id, i, l.chainId);
      });
      for (const b of blobs) this.db.prepare('INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)').run(image.id, b);
      if (image.parent !== undefined && image.parent !== image.id) {
        this.db.prepare('INSERT OR IGNORE INTO image_parents (image_id, parent_id) VALUES (?, ?)').run(image.id, image.parent);
      }
      for (const t of image.tags) this.setTag(t, image.id);
      for (const d of image.repoDigests) {
        this.db
          .prepare('INSERT INTO repo_digests (name, image_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id')
          .run(d, image.id);
      }
      this.db.prepare('DELETE FROM leases WHERE id = ?').run(lease.id);
    });
    lease.markEnded();
  }

  private setTag(name: string, imageId: string): void {
    this.db.prepare('INSERT INTO tags (name, image_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id').run(name, imageId);
  }

  private record(row: ImageRow): ImageRecord {
    const col = (sql: string): string[] => (this.db.prepare(sql).all(row.id) as { v: string }[]).map((r) => r.v);
    return {
      id: row.id,
      created: row.created ?? undefined,
      os: row.os,
      architecture: row.architecture,
      variant: row.variant ?? undefined,
      size: row.size,
      manifestDigest: row.manifest_digest ?? undefined,
      manifestMediaType: row.manifest_media_type ?? undefined,
      addedAt: row.added_at,
      tags: col('SELECT name AS v FROM tags WHERE image_id = ? ORDER BY name'),
      repoDigests: col('SELECT name AS v FROM repo_digests WHERE image_id = ? ORDER BY name'),
      layers: col('SELECT chain_id AS v FROM image_layers WHERE image_id = ? ORDER BY position'),
    };
  }

  listImages(): ImageRecord[] {
    const rows = this.db.prepare('SELECT * FROM images').all() as ImageRow[];
    return rows.map((r) => this.record(r));
  }

  image(id: string): ImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row && this.record(row);
  }

  imageByTag(name: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT image_id FROM tags WHERE name = ?').get(name) as { image_id: string } | undefined;
    return r && this.image(r.image_id);
  }

  imageByRepoDigest(name: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT image_id FROM repo_digests WHERE name = ?').get(name) as { image_id: string } | undefined;
    return r && this.image(r.image_id);
  }

  /** The image's config as stored (the engine reads Env, Cmd, ... from it). */
  imageConfig(imageId: string): ImageConfig {
    return parseImageConfig(this.blobs.read(imageId));
  }

  /** The image's unpacked layers, lowest first: overlay's lowerdir, reversed. */
  layerPaths(imageId: string): string[] {
    const image = this.image(imageId);
    if (!image) throw new MobyDickError('IMAGE', `No such image: ${imageId}`, { image: imageId });
    return image.layers.map((c) => this.layerDirs.diffPath(c));
  }

  /** Images whose ID starts with HEX (no "sha256:"). */
  imagesByIdPrefix(hex: string): string[] {
    return (this.db.prepare("SELECT id FROM images WHERE substr(id, 8, ?) = ?").all(hex.length, hex) as { id: string }[]).map((r) => r.id);
  }

  tag(imageId: string, name: string): void {
    this.inTransaction(() => {
      if (!this.image(imageId)) throw new MobyDickError('IMAGE', `No such image: ${imageId}`, { image: imageId });
      this.setTag(name, imageId);
    });
  }

  /** Removes a tag or repo digest name; false when there was none. */
  untag(name: string): boolean {
    const t = this.db.prepare('DELETE FROM tags WHERE name = ?').run(name).changes;
    const d = this.db.prepare('DELETE FROM repo_digests WHERE name = ?').run(name).changes;
    return t + d > 0;
  }

  /**
   * Registers a container: its name is unique however many processes race
   * (the UNIQUE constraint decides), and its image cannot be removed while
   * it exists. A name in use is Docker's conflict error.
   */
  addContainer(c: { id: string; name: string; imageId: string | null; config: unknown }): void {
    try {
      this.db
        .prepare('INSERT INTO containers (id, name, image_id, created_at, config) VALUES (?, ?, ?, ?, ?)')
        .run(c.id, c.name, c.imageId, Date.now(), JSON.stringify(c.config));
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
      const holder = this.db.prepare('SELECT id FROM containers WHERE name = ?').get(c.name) as { id: string } | undefined;
      throw new MobyDickError('USAGE', `Conflict. The container name "/${c.name}" is already in use by container "${holder?.id ?? '?'}"`, {
        container: c.name,
        hint: 'remove (or rename) that container to be able to reuse that name',
      });
    }
  }

  removeContainer(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  /** Names of the containers that use IMAGE_ID (the engine fills the table). */
  containersUsing(imageId: string): string[] {
    return (this.db.prepare('SELECT name FROM containers WHERE image_id = ?').all(imageId) as { name: string }[]).map((r) => r.name);
  }

  /** Deletes an image's record with its names; its blobs and layers go at the next gc(). */
  /** the image IMAGE_ID was made from, if the store has it */
  parentOf(imageId: string): string | undefined {
    const r = this.db.prepare('SELECT parent_id FROM image_parents WHERE image_id = ?').get(imageId) as { parent_id: string } | undefined;
    return r?.parent_id;
  }

  /** the images made from IMAGE_ID */
  childrenOf(imageId: string): string[] {
    return (this.db.prepare('SELECT image_id FROM image_parents WHERE parent_id = ?').all(imageId) as { image_id: string }[]).map((r) => r.image_id);
  }

  deleteImage(imageId: string): void {
    this.inTransaction(() => {
      this.db.prepare('DELETE FROM images WHERE id = ?').run(imageId);
    });
  }

  /**
   * Removes layers no image uses and blobs no image keeps, except what live
   * leases hold, and the temp files of dead processes.
   */
  gc(): GcResult {
    this.blobs.cleanIngest(false);
    this.layerDirs.cleanTemp();
    const detached: string[] = [];
    const result: GcResult = { blobs: 0, layers: 0, bytes: 0 };
    this.inTransaction(() => {
      const held = this.liveLeaseRefs();
      const unused = this.db
        .prepare('SELECT chain_id, size FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers)')
        .all() as { chain_id: string; size: number }[];
      for (const l of unused) {
        this.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(l.chain_id);
        this.db.prepare('DELETE FROM layer_blobs WHERE diff_id NOT IN (SELECT diff_id FROM layers)').run();
      }
      for (const chainId of this.layerDirs.list()) {
        if (held.has(`layer:${chainId}`) || this.layerRegistered(chainId)) continue;
        const d = this.layerDirs.detach(chainId);
        if (d) {
          detached.push(d);
          result.layers++;
          result.bytes += unused.find((l) => l.chain_id === chainId)?.size ?? 0;
        }
      }
      const kept = new Set((this.db.prepare('SELECT DISTINCT digest FROM image_blobs').all() as { digest: string }[]).map((r) => r.digest));
      for (const digest of this.blobs.list()) {
        if (kept.has(digest) || held.has(`blob:${digest}`)) continue;
        result.bytes += this.blobs.size(digest);
        rmSync(this.blobs.path(digest), { force: true });
        result.blobs++;
      }
    });
    for (const d of detached) this.layerDirs.remove(d);
    return result;
  }
}
