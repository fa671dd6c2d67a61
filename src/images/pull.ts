/**
 * Pulling an image: resolve the reference to a manifest (through an index
 * to the platform's), fetch and verify the config, download the layers that
 * the store lacks a few at a time, each verified against its digest and
 * unpacked once, then register everything in one transaction. A failure
 * leaves nothing registered and removes what this pull wrote.
 */
import { configuredInsecureRegistries } from '../config/config-file.js';
import { MobyDickError } from '../errors.js';
import { BlobVerifyError } from './store/blobs.js';
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { chainIds, sha256, shortId } from './digest.js';
import { type Credentials, credentialsFor } from './registry/docker-config.js';
import type { HttpClient } from './registry/http.js';
import {
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  layerCompression,
  ManifestError,
  parseImageConfig,
  parseManifest,
} from './manifest.js';
import { availablePlatforms, formatPlatform, hostPlatform, platformMatches, type PlatformSpec, selectManifest } from './platform.js';
import {
  familiarName,
  familiarString,
  parseNormalizedReference,
  type Reference,
  referenceString,
  repositoryName,
  withDefaultTag,
} from './reference.js';
import { RegistryClient, RegistryError } from './registry/registry-client.js';
import { isInsecure } from './registry/registry-config.js';
import type { ImageStore, Lease, NewLayer } from './store/image-store.js';
import { directorySize } from './store/layers.js';
import { formatBytes } from './store/space.js';

/** What a pull tells as it goes; the CLI draws it. */
export interface PullProgress {
  /** a whole line: "latest: Pulling from library/busybox" */
  line(text: string): void;
  /** a layer's state: "Pulling fs layer", "Downloading" (with bytes), "Already exists", "Pull complete" */
  layer(id: string, status: string, current?: number, total?: number): void;
}

export interface PullOptions {
  /** default: this machine's (linux/amd64 here) */
  platform?: PlatformSpec;
  /** HOST[:PORT] allowed plain HTTP, besides the config file's and loopback */
  insecureRegistries?: readonly string[];
  progress?: PullProgress;
  /** the login to use instead of the stored one (the Engine API's X-Registry-Auth) */
  credentials?: Credentials;
  /** layers downloaded at once; Docker's default is 3 */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  /** for tests: another HTTP client */
  http?: HttpClient;
}

export interface PullResult {
  imageId: string;
  /** docker.io/library/busybox:latest */
  reference: string;
  /** the digest the tag resolved to (index or manifest) */
  digest: string;
  /** false when the store had the image already */
  downloaded: boolean;
}

const quiet: PullProgress = { line: () => {}, layer: () => {} };

/**
 * Runs FN over ITEMS with at most LIMIT at once. The first failure aborts
 * the others (through the signal FN gets) and is the one thrown, once all
 * have stopped: nothing is still writing when the caller cleans up.
 */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  let next = 0;
  let first: { error: unknown } | undefined;
  const abort = new AbortController();
  const worker = async (): Promise<void> => {
    while (!first && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i, abort.signal);
      } catch (e) {
        first ??= { error: e };
        abort.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (first) throw first.error;
}

/** A registry client for REF's domain with the stored credentials, over HTTP only where allowed. */
export function clientFor(ref: Reference, opts: Pick<PullOptions, 'insecureRegistries' | 'env' | 'http' | 'credentials'>): RegistryClient {
  const env = opts.env ?? process.env;
  const insecure = isInsecure(ref.domain, [...(opts.insecureRegistries ?? []), ...configuredInsecureRegistries(env)]);
  const credentials = opts.credentials ?? credentialsFor(ref.domain, env);
  return new RegistryClient({
    domain: ref.domain,
    insecure,
    ...(credentials ? { credentials } : {}),
    ...(opts.http ? { http: opts.http } : {}),
  });
}

/** Turns what went wrong into one line naming the image (and layer). */
export function pullError(e: unknown, verb: 'pull' | 'push', ref: Reference, layer?: string): MobyDickError {
  const image = familiarString(ref);
  const where = layer ? `${verb} ${image}: layer ${layer}` : `${verb} ${image}`;
  const details = { image, ...(layer ? { layer } : {}) };
  if (e instanceof MobyDickError) {
    return new MobyDickError(e.code, `${where}: ${e.message}`, { ...e.details, ...details });
  }
  if (e instanceof RegistryError) {
    if (e.status === 401 || e.registryCode === 'UNAUTHORIZED' || e.registryCode === 'DENIED') {
      return new MobyDickError('REGISTRY', `${where}: ${verb} access denied for ${familiarName(ref)}: ${e.detail}`, {
        ...details,
        hint: `the repository does not exist or needs 'moby-dick login ${ref.domain}'`,
      });
    }
    if (e.status === 404 && !layer) {
      return new MobyDickError('REGISTRY', `${where}: manifest for ${image} not found: ${e.detail}`, details);
    }
    // with the layer named already, the registry's words suffice
    return new MobyDickError('REGISTRY', `${where}: ${layer ? e.detail : e.message}`, details);
  }
  if (e instanceof ManifestError || e instanceof BlobVerifyError) {
    return new MobyDickError('REGISTRY', `${where}: ${e.message}`, details);
  }
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC') {
    return new MobyDickError('STORE', `${where}: no space left on the device of the image store`, {
      ...details,
      hint: 'free some space (moby-dick image prune) and pull again',
    });
  }
  return new MobyDickError('REGISTRY', `${where}: ${err.message ?? String(e)}`, details);
}

/** Reads a small blob (a config) into memory, verified. */
async function fetchSmallBlob(client: RegistryClient, repo: string, d: Descriptor, maxBytes = 8 << 20): Promise<Buffer> {
  if (d.size > maxBytes) throw new ManifestError(`the config blob is ${d.size} bytes, more than ${maxBytes}`);
  const { stream } = await client.getBlob(repo, d.digest);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > d.size) {
      stream.destroy();
      throw new BlobVerifyError(`config ${d.digest}: more than the ${d.size} bytes the manifest says`);
    }
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const got = sha256(bytes);
  if (bytes.length !== d.size) throw new BlobVerifyError(`config ${d.digest}: truncated, got ${bytes.length} of ${d.size} bytes`);
  if (got !== d.digest) throw new BlobVerifyError(`config ${d.digest}: digest mismatch, the content has digest ${got}`);
  return bytes;
}

interface Resolved {
  /** what the tag or digest resolved to */
  topDigest: string;
  manifestBytes: Buffer;
  manifestDigest: string;
  mediaType: string;
  manifest: ImageManifest;
}

async function resolveManifest(client: RegistryClient, ref: Reference, platform: PlatformSpec): Promise<Resolved> {
  const repo = ref.path;
  const wanted = ref.digest ?? ref.tag!;
  const top = await client.getManifest(repo, wanted);
  if (ref.digest && top.digest !== ref.digest) {
    throw new BlobVerifyError(`manifest digest mismatch: asked for ${ref.digest}, the registry sent ${top.digest}`);
  }
  const parsed = parseManifest(top.bytes, top.contentType);
  if (parsed.kind === 'manifest') {
    return { topDigest: top.digest, manifestBytes: top.bytes, manifestDigest: top.digest, mediaType: parsed.mediaType, manifest: parsed.manifest };
  }
  const d = selectManifest(parsed.index, platform);
  if (!d) {
    const have = availablePlatforms(parsed.index);
    throw new ManifestError(
      `no matching manifest for ${formatPlatform(platform)} in the manifest list entries${have.length ? ` (it has ${have.join(', ')})` : ''}`,
    );
  }
  const m = await client.getManifest(repo, d.digest);
  if (m.digest !== d.digest) throw new BlobVerifyError(`manifest digest mismatch: the index names ${d.digest}, the registry sent ${m.digest}`);
  const inner = parseManifest(m.bytes, m.contentType ?? d.mediaType);
  if (inner.kind !== 'manifest') throw new ManifestError(`the index entry ${d.digest} is another index`);
  return { topDigest: top.digest, manifestBytes: m.bytes, manifestDigest: m.digest, mediaType: inner.mediaType, manifest: inner.manifest };
}

export async function pullImage(store: ImageStore, input: string, opts: PullOptions = {}): Promise<PullResult> {
  void store.limits; // a bad MOBY_DICK_STORE_RESERVE or MOBY_DICK_MAX_LAYER_SIZE is said before any work
  const ref = withDefaultTag(parseNormalizedReference(input));
  const progress = opts.progress ?? quiet;
  const platform = opts.platform ?? hostPlatform();
  const client = clientFor(ref, opts);
  const repo = ref.path;
  let lease: Lease | undefined;
  let currentLayer: string | undefined;
  try {
    progress.line(`${ref.digest ?? ref.tag}: Pulling from ${repo}`);
    const r = await resolveManifest(client, ref, platform);
    const configBytes = await fetchSmallBlob(client, repo, r.manifest.config);
    const config: ImageConfig = parseImageConfig(configBytes);
    if (opts.platform && !platformMatches(opts.platform, config)) {
      throw new ManifestError(
        `image was found but does not match the specified platform: wanted ${formatPlatform(opts.platform)}, actual: ${formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })}`,
      );
    }
    const diffIds = config.rootfs.diff_ids;
    const layers = r.manifest.layers;
    if (diffIds.length !== layers.length) {
      throw new ManifestError(`the manifest has ${layers.length} layers and the config ${diffIds.length} diff IDs`);
    }
    for (const l of layers) {
      if (layerCompression(l.mediaType) === undefined) {
        currentLayer = l.digest;
        throw new ManifestError(`unsupported layer media type ${l.mediaType}`);
      }
    }
    currentLayer = undefined;
    const chains = chainIds(diffIds);
    const imageId = r.manifest.config.digest;
    const tagName = ref.tag !== undefined && ref.digest === undefined ? referenceString({ domain: ref.domain, path: ref.path, tag: ref.tag }) : undefined;
    const repoDigest = `${repositoryName(ref)}@${r.topDigest}`;

    const existing = store.image(imageId);
    const upToDate = existing !== undefined && existing.layers.every((c) => store.hasLayer(c)) && existing.layers.length === chains.length;

    store.cleanStale();
    lease = store.beginLease();
    const l = lease;
    const newLayers: NewLayer[] = new Array<NewLayer>(layers.length);
    const keptBlobs = new Set<string>([r.manifestDigest, imageId]);
    await eachLimited(layers, opts.concurrency ?? 3, async (desc, i, signal) => {
      const id = shortId(desc.digest);
      const diffId = diffIds[i]!;
      const chainId = chains[i]!;
      const parent = i === 0 ? undefined : chains[i - 1];
      const blob = { digest: desc.digest, mediaType: desc.mediaType, size: desc.size };
      try {
        if (store.hasLayer(chainId) && l.claimLayer(chainId)) {
          const size = store.layer(chainId)?.size ?? 0;
          const haveBlob = l.claimBlob(desc.digest);
          if (haveBlob) keptBlobs.add(desc.digest);
          newLayers[i] = { chainId, diffId, parent, size, ...(haveBlob ? { blob } : {}) };
          progress.layer(id, 'Already exists');
          return;
        }
        progress.layer(id, 'Pulling fs layer');
        if (!l.claimBlob(desc.digest)) {
          if (desc.size > store.limits.maxLayerBytes) {
            throw new MobyDickError('STORE', `the manifest says it is ${formatBytes(desc.size)}, more than the ${formatBytes(store.limits.maxLayerBytes)} of MOBY_DICK_MAX_LAYER_SIZE`, {
              hint: 'raise MOBY_DICK_MAX_LAYER_SIZE if the image is to be trusted',
            });
          }
          // what a killed pull downloaded of it is continued, if the registry takes a Range
          let partial = store.blobs.adoptPartial(desc.digest);
          if (partial && partial.bytes >= desc.size) {
            rmSync(partial.path, { force: true });
            partial = undefined;
          }
          // a size the store's free space cannot take above its reserve: refused before the download
          store.guard('downloading it').check(desc.size - (partial?.bytes ?? 0));
          const { stream, offset, size: sent } = await client.getBlob(repo, desc.digest, signal, partial?.bytes);
          if (sent !== undefined && offset + sent > desc.size) {
            // more than the manifest says: refused before a byte is written
            stream.destroy();
            throw new BlobVerifyError(`the registry sends ${offset + sent} bytes, the manifest says ${desc.size}`);
          }
          const resumed = partial !== undefined && offset === partial.bytes;
          if (partial && !resumed) rmSync(partial.path, { force: true });
          const ingest = await store.blobs.ingest(desc.digest, stream, {
            size: desc.size,
            what: 'downloading it',
            onProgress: (n) => progress.layer(id, 'Downloading', n, desc.size),
            ...(resumed ? { partial } : {}),
          });
          l.commitBlob(desc.digest, ingest);
        }
        progress.layer(id, 'Download complete');
        keptBlobs.add(desc.digest);
        // a killed pull may have left the directory whole but unregistered
        let size: number;
        if (l.claimLayer(chainId)) {
          size = store.layer(chainId)?.size ?? directorySize(store.layerDirs.diffPath(chainId));
        } else {
          progress.layer(id, 'Extracting');
          size = await store.unpackLayer(l, desc.digest, diffId, chainId);
        }
        newLayers[i] = { chainId, diffId, parent, size, blob };
        progress.layer(id, 'Pull complete');
      } catch (e) {
        throw pullError(e, 'pull', ref, desc.digest);
      }
    });
    // the manifest and config are blobs too (push sends them as they are)
    for (const [digest, bytes] of [
      [r.manifestDigest, r.manifestBytes],
      [imageId, configBytes],
    ] as const) {
      if (!l.claimBlob(digest)) {
        l.commitBlob(digest, await store.blobs.ingest(digest, Readable.from([bytes]), { size: bytes.length }));
      }
    }
    store.registerImage(
      l,
      {
        id: imageId,
        created: config.created,
        os: config.os,
        architecture: config.architecture,
        variant: config.variant,
        manifest: { digest: r.manifestDigest, mediaType: r.mediaType },
        layers: newLayers,
        tags: tagName ? [tagName] : [],
        repoDigests: [repoDigest],
      },
      [...keptBlobs],
    );
    progress.line(`Digest: ${r.topDigest}`);
    const shown = familiarString(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref);
    progress.line(upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`);
    store.events.record('image', 'pull', shown, { name: shown });
    return { imageId, reference: referenceString(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref), digest: r.topDigest, downloaded: !upToDate };
  } catch (e) {
    lease?.abandon();
    if (e instanceof MobyDickError && e.details.image !== undefined) throw e;
    throw pullError(e, 'pull', ref, currentLayer);
  }
}
