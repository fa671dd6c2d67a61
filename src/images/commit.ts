/**
 * A new image from a parent image, an optional new layer and a config: what
 * a build step and `commit` make. The layer comes as a plain tar file; its
 * digest is the diff ID, its gzip (Node's zlib) the blob kept for push,
 * and the store unpacks it as any pulled layer (same lease, same checks).
 * When the caller has the layer unpacked already (a build step's upper
 * dir that holds exactly what the tar says, layerDir), that directory is
 * moved into the store instead. The config is the parent's with the caller's changes, its rootfs the
 * parent's diff IDs and the new one; an OCI manifest over the layers'
 * blobs is written too, so `push` and `save` take the image as they take a
 * pulled one. A failure leaves nothing registered and removes what this
 * wrote.
 */
import { createReadStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MobyDickError } from '../errors.js';
import { ensureLayer } from './archive/load.js';
import { chainIds, DigestCounter, sha256 } from './digest.js';
import { buildOciManifest, MediaType } from './manifest.js';
import { ownedName } from './store/owner.js';
import type { ImageStore, Lease, NewLayer } from './store/image-store.js';

/** An image config as JSON: the OCI/Docker fields moby-dick writes, others kept as they came. */
export interface ImageConfigDoc {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: Record<string, unknown>;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface CommitRequest {
  /** the parent image's ID, or undefined for none (FROM scratch) */
  parent: string | undefined;
  /** the config, its rootfs left to this (the parent's diff IDs, then the new layer's) */
  config: Omit<ImageConfigDoc, 'rootfs'>;
  /** a plain tar file: the new layer (the file is left where it is) */
  layerTar?: string;
  /**
   * the layer tar unpacked, exactly as the store's unpacker would make it:
   * moved into the store (it is gone afterwards) instead of unpacking the
   * tar, when the store lacks the layer and the directory is on its file system
   */
  layerDir?: string;
  /**
   * instead of layerTar: a layer the store has already, by its diff ID (a
   * build step that made the same layer before), taken as the parent's
   * layers are; a STORE error when it is not on disk
   */
  layerDiffId?: string;
  /** full names to tag the image with */
  tags?: readonly string[];
}

export interface CommitResult {
  id: string;
  /** the new layer's diff ID */
  diffId?: string;
}

/** The diff ID and a gzip blob of the tar at PATH, the blob in the store's ingest dir. */
async function compressLayer(store: ImageStore, path: string): Promise<{ diffId: string; tarSize: number; blobPath: string; digest: string; size: number }> {
  const plain = new DigestCounter();
  const gz = createGzip({ level: 1 });
  const feeding = pipeline(createReadStream(path), plain, gz);
  const [raw] = await Promise.all([store.blobs.ingestUnknown(gz, undefined, `${ownedName()}-commit`), feeding]);
  return { diffId: plain.digest(), tarSize: plain.bytes, blobPath: raw.path, digest: raw.digest, size: raw.size };
}

/** Registers the image REQ describes; its ID. */
export async function commitImage(store: ImageStore, req: CommitRequest): Promise<CommitResult> {
  const parent = req.parent ? store.image(req.parent) : undefined;
  if (req.parent && !parent) throw new MobyDickError('IMAGE', `No such image: ${req.parent}`, { image: req.parent });
  const parentConfig = parent ? store.imageConfig(parent.id) : undefined;
  const diffIds = [...(parentConfig?.rootfs.diff_ids ?? [])];
  let lease: Lease | undefined;
  let ingest: string | undefined;
  try {
    lease = store.beginLease();
    const l = lease;
    const blobs: string[] = [];
    let diffId: string | undefined;
    let newLayer: NewLayer | undefined;
    if (req.layerTar) {
      const c = await compressLayer(store, req.layerTar);
      ingest = c.blobPath;
      if (!l.claimBlob(c.digest)) l.commitBlob(c.digest, c.blobPath);
      else rmSync(c.blobPath, { force: true });
      ingest = undefined;
      diffId = c.diffId;
      diffIds.push(diffId);
      const chain = chainIds(diffIds);
      const chainId = chain[chain.length - 1]!;
      const adopted = req.layerDir && !store.layerDirs.exists(chainId) ? store.adoptLayer(l, req.layerDir, diffId, chainId, c.tarSize) : undefined;
      const size = adopted ?? (await ensureLayer(store, l, { digest: c.digest, diffId, chainId }, new Map()));
      newLayer = { chainId, diffId, parent: chain[chain.length - 2], size, blob: { digest: c.digest, mediaType: MediaType.OciLayerGzip, size: c.size } };
    } else if (req.layerDiffId) {
      diffId = req.layerDiffId;
      diffIds.push(diffId);
    }
    const chains = chainIds(diffIds);
    const layers: NewLayer[] = diffIds.map((d, i) => {
      if (newLayer && i === diffIds.length - 1) return newLayer;
      const blob = store.blobForDiff(d);
      return { chainId: chains[i]!, diffId: d, parent: i ? chains[i - 1] : undefined, size: store.layer(chains[i]!)?.size ?? 0, ...(blob ? { blob } : {}) };
    });
    for (const [i, layer] of layers.entries()) {
      if (!l.claimLayer(layer.chainId)) throw new MobyDickError('STORE', `layer ${layer.chainId} of the parent image is not on disk`, { layer: diffIds[i] });
    }
    const doc: ImageConfigDoc = { ...req.config, rootfs: { type: 'layers', diff_ids: diffIds } } as ImageConfigDoc;
    const configBytes = Buffer.from(JSON.stringify(doc));
    const id = sha256(configBytes);
    const layerBlobs = layers.map((x) => x.blob);
    const manifest = layerBlobs.every((b) => b !== undefined)
      ? buildOciManifest({ digest: id, size: configBytes.length }, layerBlobs.map((b) => ({ digest: b!.digest, size: b!.size, mediaType: b!.mediaType })))
      : undefined;
    const manifestDigest = manifest ? sha256(manifest) : undefined;
    for (const [digest, bytes] of [[id, configBytes], ...(manifest ? [[manifestDigest!, manifest] as const] : [])] as const) {
      if (!l.claimBlob(digest)) l.commitBlob(digest, await store.blobs.ingest(digest, Readable.from([bytes]), { size: bytes.length }));
      blobs.push(digest);
    }
    for (const b of layerBlobs) if (b) blobs.push(b.digest);
    store.registerImage(
      l,
      {
        id,
        created: doc.created,
        os: doc.os,
        architecture: doc.architecture,
        variant: doc.variant,
        ...(manifest ? { manifest: { digest: manifestDigest!, mediaType: MediaType.OciManifest } } : {}),
        layers,
        tags: [...(req.tags ?? [])],
        repoDigests: [],
        ...(parent ? { parent: parent.id } : {}),
      },
      blobs,
    );
    return { id, ...(diffId ? { diffId } : {}) };
  } catch (e) {
    if (ingest) rmSync(ingest, { force: true });
    if (lease) store.dropLease(lease.id, true);
    throw e;
  }
}
