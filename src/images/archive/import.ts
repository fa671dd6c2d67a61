/**
 * Importing a root filesystem tarball as a one-layer image, as `docker
 * import` does: the tarball (plain, gzip or zstd) is the layer, kept as it
 * came as the layer's blob; its uncompressed digest is the diff ID; the
 * config gets this machine's os and architecture, the time of the import
 * and one history entry whose comment is the message (default "Imported
 * from SOURCE"). The same lease and one-transaction registration as a pull:
 * a failure leaves nothing registered. `--change` is not supported.
 */
import { closeSync, createReadStream, openSync, readSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { MobyDickError } from '../../errors.js';
import { decompress, sniffCompression } from '../decompress.js';
import { DigestCounter, sha256 } from '../digest.js';
import { ensureLayer, isNoSpace } from './load.js';
import { buildOciManifest, MediaType, ociLayerMediaType } from '../manifest.js';
import { hostPlatform, type PlatformSpec } from '../platform.js';
import { parseNormalizedReference, referenceString, withDefaultTag } from '../reference.js';
import type { ImageStore, Lease } from '../store/image-store.js';

export interface ImportOptions {
  /** the file name for messages and the default comment ("-" for stdin) */
  source: string;
  /** NAME[:TAG] to tag the image with */
  reference?: string;
  /** the history comment (docker import -m) */
  message?: string;
  /** default: this machine's */
  platform?: PlatformSpec;
  /** default: now */
  created?: Date;
}

export interface ImportResult {
  id: string;
  /** the full name it was tagged with */
  tag?: string;
}

function head(path: string): Buffer {
  const b = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    return b.subarray(0, readSync(fd, b, 0, 4, 0));
  } finally {
    closeSync(fd);
  }
}

export async function importImage(store: ImageStore, input: AsyncIterable<Buffer>, opts: ImportOptions): Promise<ImportResult> {
  void store.limits; // a bad MOBY_DICK_STORE_RESERVE or MOBY_DICK_MAX_LAYER_SIZE is said before any work
  let tag: string | undefined;
  if (opts.reference !== undefined) {
    const ref = withDefaultTag(parseNormalizedReference(opts.reference));
    if (ref.digest !== undefined) {
      throw new MobyDickError('USAGE', `refusing to create a tag with a digest reference: ${opts.reference}`, { subject: opts.reference });
    }
    tag = referenceString(ref);
  }
  const where = `import ${opts.source}`;
  const platform = opts.platform ?? hostPlatform();
  store.cleanStale();
  let lease: Lease | undefined;
  let ingestPath: string | undefined;
  try {
    const raw = await store.blobs.ingestUnknown(input);
    ingestPath = raw.path;
    if (raw.size === 0) throw new MobyDickError('ARCHIVE', 'the tarball is empty', { subject: opts.source });
    const compression = sniffCompression(head(raw.path));
    let diffId = raw.digest;
    if (compression !== 'none') {
      const counter = new DigestCounter();
      for await (const c of decompress(createReadStream(raw.path))) counter.absorb(c);
      diffId = counter.digest();
    }
    lease = store.beginLease();
    const l = lease;
    if (!l.claimBlob(raw.digest)) l.commitBlob(raw.digest, raw.path);
    else rmSync(raw.path, { force: true });
    ingestPath = undefined;
    const size = await ensureLayer(store, l, { digest: raw.digest, diffId, chainId: diffId }, new Map());
    const created = (opts.created ?? new Date()).toISOString();
    const comment = opts.message ?? `Imported from ${opts.source}`;
    const configBytes = Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        comment,
        config: {},
        created,
        history: [{ created, comment }],
        os: platform.os,
        rootfs: { type: 'layers', diff_ids: [diffId] },
        ...(platform.variant ? { variant: platform.variant } : {}),
      }),
    );
    const id = sha256(configBytes);
    const mediaType = ociLayerMediaType(compression);
    const manifestBytes = buildOciManifest({ digest: id, size: configBytes.length }, [{ digest: raw.digest, size: raw.size, mediaType }]);
    const manifestDigest = sha256(manifestBytes);
    for (const [digest, bytes] of [
      [id, configBytes],
      [manifestDigest, manifestBytes],
    ] as const) {
      if (!l.claimBlob(digest)) l.commitBlob(digest, await store.blobs.ingest(digest, Readable.from([bytes]), { size: bytes.length }));
    }
    store.registerImage(
      l,
      {
        id,
        created,
        os: platform.os,
        architecture: platform.architecture,
        variant: platform.variant,
        manifest: { digest: manifestDigest, mediaType: MediaType.OciManifest },
        layers: [{ chainId: diffId, diffId, parent: undefined, size, blob: { digest: raw.digest, mediaType, size: raw.size } }],
        tags: tag ? [tag] : [],
        repoDigests: [],
      },
      [raw.digest, id, manifestDigest],
    );
    store.events.record('image', 'import', id, { name: tag ?? id });
    return { id, ...(tag ? { tag } : {}) };
  } catch (e) {
    if (ingestPath) rmSync(ingestPath, { force: true });
    if (lease) store.dropLease(lease.id, true);
    const err = e as NodeJS.ErrnoException;
    if (isNoSpace(e)) {
      throw new MobyDickError('STORE', `${where}: no space left on the device of the image store`, {
        hint: 'free some space (moby-dick image prune) and import again',
      });
    }
    if (e instanceof MobyDickError) throw new MobyDickError(e.code, `${where}: ${e.message}`, e.details);
    throw new MobyDickError('ARCHIVE', `${where}: ${err.message ?? String(e)}`, { subject: opts.source });
  }
}
