/**
 * Loading images from an archive, as `docker load` does: a docker-archive
 * (manifest.json with Config, RepoTags and Layers; the layers plain tars or
 * compressed, in the legacy <id>/layer.tar dirs or under blobs/) or an OCI
 * image layout tarball (oci-layout, index.json, blobs/sha256/...).
 *
 * The archive is read once into temp files (archive-files.ts); then each
 * image takes the same path as a pull: every blob named by a digest is
 * checked against it (and against the size its descriptor gives), every
 * layer is unpacked once by the store, which checks its diff ID, all under a
 * lease, and the images, layers and tags are registered in one transaction
 * at the end. A failure anywhere leaves nothing registered and removes what
 * this load wrote; a killed load leaves only whole blobs and layer dirs that
 * nothing references (the next pull or load reuses them, gc removes them)
 * and temp files the next pull or load removes.
 *
 * Names: manifest.json's RepoTags. In an OCI layout, the annotation
 * `io.containerd.image.name` (a full reference, as Docker 25+ and containerd
 * write it), else `org.opencontainers.image.ref.name` when it is a
 * reference with a repository (`busybox:1`, `example.com/x/y:2`). A ref.name
 * that is only a tag (`latest`, as `skopeo copy ... oci-archive:F:latest`
 * writes) names no repository: that image is loaded untagged, as Docker's
 * containerd store does, and reported by ID.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { MobyDickError } from '../../errors.js';
import { type ArchiveFile, type ArchiveFiles, readArchive } from './archive-files.js';
import { type Compression, decompress, sniffCompression } from '../decompress.js';
import { chainIds, DigestCounter, sha256 } from '../digest.js';
import {
  buildOciManifest,
  type Descriptor,
  type ImageConfig,
  layerCompression,
  ManifestError,
  MediaType,
  ociLayerMediaType,
  parseImageConfig,
  parseManifest,
} from '../manifest.js';
import { formatPlatform, hostPlatform, type PlatformSpec, selectManifest, availablePlatforms } from '../platform.js';
import { parseNormalizedReference, referenceString, withDefaultTag } from '../reference.js';
import type { ImageStore, Lease, NewImage, NewLayer } from '../store/image-store.js';
import { directorySize } from '../store/layers.js';
import { ownedName } from '../store/owner.js';

export interface LoadOptions {
  /** the file name for messages ("-" or "stdin" for standard input) */
  source: string;
  /** which image of a multi-platform index to load (default: this machine's) */
  platform?: PlatformSpec;
}

export interface LoadedImage {
  id: string;
  /** full names: docker.io/library/busybox:latest */
  tags: string[];
  /** tags that named another image before: Docker says so */
  moved: { tag: string; from: string }[];
}

/** A load failure that names the archive entry it concerns. */
class EntryError extends Error {
  constructor(
    readonly entry: string,
    message: string,
  ) {
    super(message);
  }
}

/** What one image of the archive is made of, by entry name. */
interface Plan {
  config: ArchiveFile;
  /** COMPRESSION: what the first bytes show (told before any file moves into the store) */
  layers: { file: ArchiveFile; mediaType: string; compression: Compression }[];
  /** the manifest as the archive has it (OCI layouts); docker-archives get one made */
  manifest?: { file: ArchiveFile; mediaType: string };
  tags: string[];
}

const dockerManifestSchema = z.array(
  z
    .object({
      Config: z.string(),
      RepoTags: z.array(z.string()).nullish(),
      Layers: z.array(z.string()),
    })
    .passthrough(),
);

const BLOB_NAME = /^blobs\/sha256\/([a-f0-9]{64})$/;

function need(files: ArchiveFiles, name: string, what: string): ArchiveFile {
  const f = files.get(name);
  if (!f) throw new EntryError(name, `the ${what} is missing from the archive`);
  return f;
}

/** The blob a descriptor names, checked against its digest and size. */
function blobFor(files: ArchiveFiles, d: Descriptor, what: string): ArchiveFile {
  const name = `blobs/sha256/${d.digest.slice(7)}`;
  const f = need(files, name, `${what} ${d.digest}`);
  if (f.digest !== d.digest) throw new EntryError(name, `digest mismatch: the content has digest ${f.digest}`);
  if (f.size !== d.size) throw new EntryError(name, `size mismatch: ${f.size} bytes, the descriptor says ${d.size}`);
  return f;
}

function parseJson(files: ArchiveFiles, f: ArchiveFile): unknown {
  try {
    return JSON.parse(files.read(f).toString('utf8'));
  } catch (e) {
    if (e instanceof MobyDickError) throw e;
    throw new EntryError(f.name, 'not valid JSON');
  }
}

/** Full names from a docker-archive's RepoTags ("busybox:latest"). */
function repoTags(tags: readonly string[], entry: string): string[] {
  return tags.map((t) => {
    try {
      const ref = parseNormalizedReference(t);
      if (ref.digest !== undefined || ref.tag === undefined) throw new Error('not NAME:TAG');
      return referenceString(ref);
    } catch (e) {
      throw new EntryError(entry, `RepoTags entry ${JSON.stringify(t)} is not a NAME:TAG reference: ${(e as Error).message}`);
    }
  });
}

function dockerArchivePlans(files: ArchiveFiles, manifestFile: ArchiveFile): Plan[] {
  const parsed = dockerManifestSchema.safeParse(parseJson(files, manifestFile));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EntryError(manifestFile.name, `not a docker-archive manifest: ${issue ? `${issue.path.join('.') || 'top level'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data.map((m) => ({
    config: need(files, m.Config, 'image config'),
    layers: m.Layers.map((l) => {
      const file = need(files, l, 'layer');
      const compression = sniffFile(file);
      return { file, mediaType: ociLayerMediaType(compression), compression };
    }),
    tags: repoTags(m.RepoTags ?? [], manifestFile.name),
  }));
}

/** The full name an OCI index entry's annotations give, if any. */
function annotatedName(d: Descriptor): string | undefined {
  const a = d.annotations ?? {};
  for (const value of [a['io.containerd.image.name'], a['org.opencontainers.image.ref.name']]) {
    // a bare word is a tag without a repository: it names nothing here
    if (value === undefined || !/[:/@]/.test(value)) continue;
    try {
      const ref = withDefaultTag(parseNormalizedReference(value));
      if (ref.digest === undefined) return referenceString(ref);
    } catch {
      // not a reference: the image loads untagged
    }
  }
  return undefined;
}

function ociPlans(files: ArchiveFiles, indexFile: ArchiveFile, platform: PlatformSpec): Plan[] {
  let index;
  try {
    const parsed = parseManifest(files.read(indexFile), MediaType.OciIndex);
    if (parsed.kind !== 'index') throw new ManifestError('not an image index');
    index = parsed.index;
  } catch (e) {
    if (e instanceof ManifestError) throw new EntryError(indexFile.name, e.message);
    throw e;
  }
  const byManifest = new Map<string, Plan>();
  for (const top of index.manifests) {
    let d = top;
    let f = blobFor(files, d, 'manifest');
    let m;
    try {
      m = parseManifest(files.read(f), d.mediaType);
      if (m.kind === 'index') {
        const chosen = selectManifest(m.index, platform);
        if (!chosen) {
          throw new ManifestError(
            `no image for ${formatPlatform(platform)} in this index (it has ${availablePlatforms(m.index).join(', ') || 'none'})`,
          );
        }
        d = chosen;
        f = blobFor(files, d, 'manifest');
        m = parseManifest(files.read(f), d.mediaType);
        if (m.kind === 'index') throw new ManifestError('an index inside an index inside index.json is not supported');
      }
    } catch (e) {
      if (e instanceof ManifestError) throw new EntryError(f.name, e.message);
      throw e;
    }
    const manifest = m.manifest;
    const name = annotatedName(top);
    const seen = byManifest.get(d.digest);
    if (seen) {
      if (name && !seen.tags.includes(name)) seen.tags.push(name);
      continue;
    }
    byManifest.set(d.digest, {
      config: blobFor(files, manifest.config, 'image config'),
      layers: manifest.layers.map((l) => {
        if (layerCompression(l.mediaType) === undefined) {
          throw new EntryError(`blobs/sha256/${l.digest.slice(7)}`, `unsupported layer media type ${l.mediaType}`);
        }
        const file = blobFor(files, l, 'layer');
        return { file, mediaType: l.mediaType, compression: sniffFile(file) };
      }),
      manifest: { file: f, mediaType: m.mediaType },
      tags: name ? [name] : [],
    });
  }
  return [...byManifest.values()];
}

function sniffFile(f: ArchiveFile): Compression {
  const head = Buffer.alloc(4);
  const fd = openSync(f.path, 'r');
  try {
    const n = readSync(fd, head, 0, 4, 0);
    return sniffCompression(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/**
 * Puts the layer whose blob (DIGEST, in the store under LEASE) has DIFF_ID
 * in place as CHAIN_ID: reused when the store has it, else unpacked and
 * checked. SIZES remembers the layers of this operation.
 */
export async function ensureLayer(
  store: ImageStore,
  lease: Lease,
  layer: { digest: string; diffId: string; chainId: string },
  sizes: Map<string, number>,
): Promise<number> {
  const known = sizes.get(layer.chainId);
  if (known !== undefined) return known;
  let size: number;
  if (store.hasLayer(layer.chainId) && lease.claimLayer(layer.chainId)) {
    size = store.layer(layer.chainId)?.size ?? 0;
  } else if (lease.claimLayer(layer.chainId)) {
    // a killed pull or load left the directory whole but unregistered
    size = directorySize(store.layerDirs.diffPath(layer.chainId));
  } else {
    size = await store.unpackLayer(lease, layer.digest, layer.diffId, layer.chainId);
  }
  sizes.set(layer.chainId, size);
  return size;
}

/** Takes FILE into the store as a blob (it is moved, not copied) under LEASE. */
function keep(lease: Lease, f: ArchiveFile): void {
  if (!lease.claimBlob(f.digest)) lease.commitBlob(f.digest, f.path);
}

async function loadPlan(store: ImageStore, lease: Lease, plan: Plan, sizes: Map<string, number>, blobs: Set<string>): Promise<NewImage> {
  let config: ImageConfig;
  try {
    config = parseImageConfig(store.blobs.has(plan.config.digest) ? store.blobs.read(plan.config.digest) : readConfig(plan.config));
  } catch (e) {
    if (e instanceof ManifestError) throw new EntryError(plan.config.name, e.message);
    throw e;
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== plan.layers.length) {
    throw new EntryError(plan.config.name, `the image config has ${diffIds.length} diff IDs and the manifest ${plan.layers.length} layers`);
  }
  const chains = chainIds(diffIds);
  const layers: NewLayer[] = [];
  for (const [i, l] of plan.layers.entries()) {
    const diffId = diffIds[i]!;
    const chainId = chains[i]!;
    if (l.file.digest !== diffId && l.compression === 'none') {
      // a plain tar is its own diff: no need to unpack it to know it is wrong
      throw new EntryError(l.file.name, `diff ID mismatch: the layer has digest ${l.file.digest}, the image config says ${diffId}`);
    }
    keep(lease, l.file);
    blobs.add(l.file.digest);
    let size: number;
    try {
      if (!plan.manifest && l.compression !== 'none' && (sizes.has(chainId) || store.layerDirs.exists(chainId))) {
        // a compressed docker-archive layer has no digest of its own to check: the
        // store has the layer, so it is not unpacked, but it is still checked
        const got = await plainDigest(store, l.file.digest);
        if (got !== diffId) throw new Error(`diff ID mismatch: the uncompressed layer has digest ${got}, the image config says ${diffId}`);
      }
      size = await ensureLayer(store, lease, { digest: l.file.digest, diffId, chainId }, sizes);
    } catch (e) {
      if (isNoSpace(e)) throw e;
      throw new EntryError(l.file.name, (e as Error).message);
    }
    layers.push({
      chainId,
      diffId,
      parent: i === 0 ? undefined : chains[i - 1],
      size,
      blob: { digest: l.file.digest, mediaType: l.mediaType, size: l.file.size },
    });
  }
  keep(lease, plan.config);
  blobs.add(plan.config.digest);
  const id = plan.config.digest;
  let manifest: NonNullable<NewImage['manifest']>;
  if (plan.manifest) {
    keep(lease, plan.manifest.file);
    manifest = { digest: plan.manifest.file.digest, mediaType: plan.manifest.mediaType };
  } else {
    const bytes = buildOciManifest(
      { digest: id, size: plan.config.size },
      layers.map((l) => ({ digest: l.blob!.digest, size: l.blob!.size, mediaType: l.blob!.mediaType })),
    );
    const digest = sha256(bytes);
    if (!lease.claimBlob(digest)) lease.commitBlob(digest, await store.blobs.ingest(digest, Readable.from([bytes]), { size: bytes.length }));
    manifest = { digest, mediaType: MediaType.OciManifest };
  }
  blobs.add(manifest.digest);
  // an image the store has keeps the manifest it was pulled with (push sends that one)
  const existing = store.image(id);
  const keepOld = existing?.manifestDigest !== undefined && store.blobs.has(existing.manifestDigest);
  return {
    id,
    created: config.created,
    os: config.os,
    architecture: config.architecture,
    variant: config.variant,
    ...(keepOld ? {} : { manifest }),
    layers,
    tags: plan.tags,
    repoDigests: [],
  };
}

/** The digest of the decompressed blob DIGEST. */
async function plainDigest(store: ImageStore, digest: string): Promise<string> {
  const counter = new DigestCounter();
  for await (const c of decompress(store.blobs.stream(digest))) counter.absorb(c);
  return counter.digest();
}

function readConfig(f: ArchiveFile): Buffer {
  if (f.size > 8 << 20) throw new EntryError(f.name, `the image config is ${f.size} bytes, more than ${8 << 20}`);
  return readFileSync(f.path);
}


/** A full disk, as Node says it or as the layer unpacker reports it. */
export function isNoSpace(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOSPC' || (e instanceof MobyDickError && e.details.errnoName === 'ENOSPC');
}

/** Turns what went wrong into one line naming the archive and the entry. */
function loadError(e: unknown, source: string): MobyDickError {
  const where = `load ${source}`;
  if (e instanceof EntryError) {
    return new MobyDickError('ARCHIVE', `${where}: entry "${e.entry}": ${e.message}`, {
      subject: e.entry,
      hint: 'the archive is corrupt or incomplete; make it again (docker save, skopeo copy)',
    });
  }
  const err = e as NodeJS.ErrnoException;
  if (isNoSpace(e)) {
    return new MobyDickError('STORE', `${where}: no space left on the device of the image store`, {
      hint: 'free some space (moby-dick image prune) and load again',
    });
  }
  if (e instanceof MobyDickError) {
    const entry = e.details.subject;
    const named = entry && e.code === 'ARCHIVE' && !e.message.includes(entry) ? `entry "${entry}": ` : '';
    return new MobyDickError(e.code, `${where}: ${named}${e.message}`, e.details);
  }
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
    return new MobyDickError('ARCHIVE', `${where}: ${err.message}`, { subject: source });
  }
  return new MobyDickError('ARCHIVE', `${where}: ${err.message ?? String(e)}`, { subject: source });
}

export async function loadImages(store: ImageStore, input: AsyncIterable<Buffer>, opts: LoadOptions): Promise<LoadedImage[]> {
  void store.limits; // a bad MOBY_DICK_STORE_RESERVE or MOBY_DICK_MAX_LAYER_SIZE is said before any work
  const platform = opts.platform ?? hostPlatform();
  store.cleanStale();
  const dir = join(store.blobs.ingestDir, `${ownedName()}-load`);
  let lease: Lease | undefined;
  try {
    mkdirSync(dir, { mode: 0o700 });
    const files = await readArchive(input, store.blobs, dir);
    // every blob the archive names by its digest is checked, used or not
    for (const f of files.all()) {
      const m = BLOB_NAME.exec(f.name);
      if (m && f.digest !== `sha256:${m[1]}`) throw new EntryError(f.name, `digest mismatch: the content has digest ${f.digest}`);
    }
    const dockerManifest = files.get('manifest.json');
    const ociIndex = files.get('index.json');
    let plans: Plan[];
    if (dockerManifest) plans = dockerArchivePlans(files, dockerManifest);
    else if (ociIndex) plans = ociPlans(files, ociIndex, platform);
    else if (files.has('repositories')) {
      throw new EntryError('manifest.json', 'missing: archives of Docker before 1.10 (only "repositories" and layer dirs) are not supported');
    } else {
      throw new EntryError('manifest.json', 'missing, and no index.json: this is neither a docker-archive nor an OCI image layout');
    }
    if (plans.length === 0) throw new EntryError(dockerManifest ? dockerManifest.name : 'index.json', 'the archive holds no image');

    lease = store.beginLease();
    const l = lease;
    const sizes = new Map<string, number>();
    const images: { image: NewImage; blobs: string[] }[] = [];
    for (const plan of plans) {
      const blobs = new Set<string>();
      const image = await loadPlan(store, l, plan, sizes, blobs);
      images.push({ image, blobs: [...blobs] });
    }
    const loaded: LoadedImage[] = [];
    store.inTransaction(() => {
      for (const { image, blobs } of images) {
        const moved = image.tags
          .map((tag) => ({ tag, from: store.imageByTag(tag)?.id }))
          .filter((m): m is { tag: string; from: string } => m.from !== undefined && m.from !== image.id);
        store.registerImage(l, image, blobs);
        loaded.push({ id: image.id, tags: image.tags, moved });
      }
    });
    for (const l of loaded) store.events.record('image', 'load', l.id, { name: l.tags[0] ?? l.id });
    return loaded;
  } catch (e) {
    // not lease.abandon(): a registration that failed half-way marked it ended, and rolled back
    if (lease) store.dropLease(lease.id, true);
    throw loadError(e, opts.source);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
