/**
 * The layer cache, as Docker's classic builder keeps it: every step's result
 * is an image in the store (untagged unless it is the last), and the cache
 * maps a step's key to that image. The key is the parent image, the
 * instruction as expanded, and what else decides the result: the build
 * arguments a RUN sees, the content digest of COPY/ADD sources (sources.ts:
 * contents, names and modes, not mtimes). A key whose image was removed
 * meanwhile (rmi, prune) is a miss.
 *
 * The table lives in the store's database, made here when first needed:
 * the store's schema does not change for it.
 */
import { createHash } from 'node:crypto';
import type { ImageRecord, ImageStore } from '../images/store/image-store.js';
import type { CopyPlan } from './copy.js';

export function cacheKey(parent: string | undefined, instruction: string, extra: readonly string[] = []): string {
  const h = createHash('sha256');
  h.update(`parent\0${parent ?? 'scratch'}\0instruction\0${instruction}\0`);
  for (const e of extra) h.update(`${e}\0`);
  return `sha256:${h.digest('hex')}`;
}

export class BuildCache {
  private ready = false;

  constructor(private readonly store: ImageStore) {}

  private table(): void {
    if (this.ready) return;
    this.store.db.exec(
      'CREATE TABLE IF NOT EXISTS build_cache (key TEXT PRIMARY KEY, image_id TEXT NOT NULL, created_at INTEGER NOT NULL);' +
        'CREATE TABLE IF NOT EXISTS build_results (image_id TEXT PRIMARY KEY);' +
        'CREATE TABLE IF NOT EXISTS build_layers (key TEXT PRIMARY KEY, diff_id TEXT NOT NULL, created_at INTEGER NOT NULL)',
    );
    this.ready = true;
  }

  /** the image KEY made before, if the store still has it */
  get(key: string): string | undefined {
    this.table();
    const row = this.store.db.prepare('SELECT image_id FROM build_cache WHERE key = ?').get(key) as { image_id: string } | undefined;
    if (!row) return undefined;
    if (this.store.image(row.image_id)) return row.image_id;
    this.store.db.prepare('DELETE FROM build_cache WHERE key = ?').run(key);
    return undefined;
  }

  put(key: string, imageId: string): void {
    this.table();
    this.store.db
      .prepare('INSERT INTO build_cache (key, image_id, created_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET image_id = excluded.image_id, created_at = excluded.created_at')
      .run(key, imageId, Date.now());
  }

  /** the diff ID of the layer a step with layer key KEY (copyLayerKey) made before, if one did */
  layer(key: string): string | undefined {
    this.table();
    return (this.store.db.prepare('SELECT diff_id FROM build_layers WHERE key = ?').get(key) as { diff_id: string } | undefined)?.diff_id;
  }

  putLayer(key: string, diffId: string): void {
    this.table();
    this.store.db
      .prepare('INSERT INTO build_layers (key, diff_id, created_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET diff_id = excluded.diff_id, created_at = excluded.created_at')
      .run(key, diffId, Date.now());
  }

  /** IMAGE_ID is what a build made (shown by `images` even untagged) */
  markResult(imageId: string): void {
    this.table();
    this.store.db.prepare('INSERT OR IGNORE INTO build_results (image_id) VALUES (?)').run(imageId);
  }

  /**
   * The images that are only a step's result (intermediate images): untagged,
   * cached, and no build's result. `images` hides them, as Docker does, unless -a.
   */
  intermediates(): Set<string> {
    this.table();
    const rows = this.store.db
      .prepare('SELECT DISTINCT image_id FROM build_cache WHERE image_id NOT IN (SELECT image_id FROM build_results)')
      .all() as { image_id: string }[];
    return new Set(rows.map((r) => r.image_id));
  }
}

/** the store's images but the intermediate ones of builds */
export function listedImages(store: ImageStore): ImageRecord[] {
  const hidden = new BuildCache(store).intermediates();
  return store.listImages().filter((i) => !hidden.has(i.id) || i.tags.length > 0 || i.repoDigests.length > 0);
}

/**
 * The key of the layer a COPY makes: everything its tar is made of. The
 * image's layers under it (which directories above the files it has, and
 * as what), where and how it copies (DEST, owner, mode), and each source
 * item as the tar writes it (name, kind, mode, owner, size, mtime, link
 * target, which items are one inode) with the sources' content digest.
 * Unlike the step's cache key, not the parent image (an ENV before the
 * COPY changes that, not the layer) and with the mtimes (the tar has them).
 */
export function copyLayerKey(layers: readonly string[], plan: Pick<CopyPlan, 'kind' | 'dest' | 'multiple' | 'owner' | 'chmod' | 'sources'>, contentDigest: string): string {
  const h = createHash('sha256');
  h.update(`copy-layer 1\0${plan.kind}\0${layers.join('\0')}\0\0${plan.dest}\0${plan.multiple}\0${plan.owner ? `${plan.owner.uid}:${plan.owner.gid}` : '-'}\0${plan.chmod ?? '-'}\0${contentDigest}\0`);
  for (const s of plan.sources) {
    h.update(`source\0${s.name}\0${s.isDir}\0`);
    for (const i of s.items) h.update(`${i.rel}\0${i.kind}\0${i.mode}\0${i.uid}:${i.gid}\0${i.size}\0${i.mtime}\0${i.target ?? ''}\0${i.inode}\0${i.nlink}\0`);
  }
  return `sha256:${h.digest('hex')}`;
}
