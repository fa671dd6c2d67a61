/**
 * Saving images to a tar archive as Docker 25+ does: a docker-archive that
 * `docker load` (old and new) and `skopeo ... docker-archive:` read, which is
 * at the same time an OCI image layout:
 *
 *   blobs/sha256/<diff id>     each layer once, an uncompressed tar
 *   blobs/sha256/<image id>    each image's config
 *   blobs/sha256/<manifest>    an OCI manifest per image (those layers)
 *   index.json                 one entry per name (io.containerd.image.name,
 *                              org.opencontainers.image.ref.name), or per
 *                              unnamed image
 *   manifest.json              [{Config, RepoTags, Layers}] naming the blobs
 *   oci-layout, repositories
 *
 * Layers are written as uncompressed tars, as Docker writes them: the
 * diff IDs in the config are digests of those, so the archive checks out
 * without a manifest. The store keeps each layer's blob as it came (a
 * registry's gzip or zstd, a docker-archive's plain tar), so a compressed
 * one is decompressed on the way out; its uncompressed size, which the tar
 * header needs first, is what the store recorded when it unpacked the
 * layer (or counted by decompressing once, for layers unpacked before it
 * did). Each layer is hashed as it is written and must have its diff ID.
 * Everything streams: nothing holds a layer in memory.
 */
import type { Writable } from 'node:stream';
import { MobyDickError } from '../../errors.js';
import { decompress } from '../decompress.js';
import { DigestCounter, digestHex, sha256 } from '../digest.js';
import { buildOciManifest, MediaType } from '../manifest.js';
import { findImage, noSuchImage } from '../lookup.js';
import { familiarString, parseNormalizedReference, type Reference, repositoryName } from '../reference.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import { TarWriter } from '../tar/tar-writer.js';

interface SavedLayer {
  diffId: string;
  /** the blob the store keeps for it */
  blob: string;
  plain: boolean;
  tarSize: number;
}

interface SavedImage {
  image: ImageRecord;
  /** full names, in the order asked */
  tags: string[];
  layers: SavedLayer[];
  config: Buffer;
  manifest: Buffer;
}

/** The images INPUTS name, with the tags to write for each, as `docker save` picks them. */
export function resolveSaveInputs(store: ImageStore, inputs: readonly string[]): { image: ImageRecord; tags: string[] }[] {
  const out = new Map<string, { image: ImageRecord; tags: string[] }>();
  const add = (image: ImageRecord, tags: string[]): void => {
    const e = out.get(image.id) ?? { image, tags: [] };
    for (const t of tags) if (!e.tags.includes(t)) e.tags.push(t);
    out.set(image.id, e);
  };
  for (const input of inputs) {
    // a repository name alone ("busybox") saves every tag of it, as Docker does
    let ref: Reference | undefined;
    try {
      ref = parseNormalizedReference(input);
    } catch {
      ref = undefined;
    }
    if (ref && ref.tag === undefined && ref.digest === undefined && !/^(sha256:)?[a-f0-9]{64}$/.test(input)) {
      const repo = repositoryName(ref);
      const tagged = store.listImages().filter((i) => i.tags.some((t) => t.startsWith(`${repo}:`)));
      if (tagged.length > 0) {
        for (const i of tagged) add(i, i.tags.filter((t) => t.startsWith(`${repo}:`)));
        continue;
      }
    }
    const found = findImage(store, input);
    if (!found) throw noSuchImage(input);
    const byTag = found.name !== undefined && !found.name.includes('@');
    add(found.image, byTag ? [found.name!] : []);
  }
  return [...out.values()];
}

/** Bytes of the decompressed blob: the size the tar header needs before the data. */
async function countPlain(store: ImageStore, blob: string): Promise<number> {
  let n = 0;
  for await (const c of decompress(store.blobs.stream(blob))) n += c.length;
  return n;
}

async function layerOf(store: ImageStore, image: ImageRecord, chainId: string): Promise<SavedLayer> {
  const record = store.layer(chainId);
  if (!record) throw new MobyDickError('STORE', `layer ${chainId} of image ${image.id} is not in the store`, { layer: chainId });
  const blob = store.blobForDiff(record.diffId);
  if (!blob) {
    throw new MobyDickError('STORE', `the store keeps no tar of layer ${record.diffId} (only its unpacked files)`, {
      layer: record.diffId,
      hint: 'pull or load the image again, then save',
    });
  }
  if (blob.digest === record.diffId) return { diffId: record.diffId, blob: blob.digest, plain: true, tarSize: store.blobs.size(blob.digest) };
  const tarSize = store.layerDirs.meta(chainId)?.tarSize ?? (await countPlain(store, blob.digest));
  return { diffId: record.diffId, blob: blob.digest, plain: false, tarSize };
}

const blobName = (digest: string): string => `blobs/sha256/${digestHex(digest)}`;

/**
 * Writes the images INPUTS name as one archive to OUT (left open). Throws
 * before writing anything when an image or a layer's tar is missing.
 */
export async function saveImages(store: ImageStore, inputs: readonly string[], out: Writable): Promise<void> {
  const chosen = resolveSaveInputs(store, inputs);
  const saved: SavedImage[] = [];
  for (const { image, tags } of chosen) {
    if (!store.blobs.has(image.id)) throw new MobyDickError('STORE', `the config of image ${image.id} is not in the store`, { image: image.id });
    const config = store.blobs.read(image.id);
    const layers: SavedLayer[] = [];
    for (const c of image.layers) layers.push(await layerOf(store, image, c));
    const manifest = buildOciManifest(
      { digest: image.id, size: config.length },
      layers.map((l) => ({ digest: l.diffId, size: l.tarSize, mediaType: MediaType.OciLayer })),
    );
    saved.push({ image, tags, layers, config, manifest });
  }

  const tar = new TarWriter(out);
  await tar.addDirectory({ name: 'blobs' });
  await tar.addDirectory({ name: 'blobs/sha256' });
  const written = new Set<string>();
  for (const s of saved) {
    for (const l of s.layers) {
      if (written.has(l.diffId)) continue;
      written.add(l.diffId);
      const counter = new DigestCounter();
      const source = store.blobs.stream(l.blob);
      const plain = l.plain ? source : decompress(source);
      const hashed = (async function* () {
        for await (const c of plain) {
          counter.absorb(c as Buffer);
          yield c as Buffer;
        }
      })();
      await tar.addFile({ name: blobName(l.diffId), size: l.tarSize }, hashed);
      const got = counter.digest();
      if (got !== l.diffId) {
        throw new MobyDickError('STORE', `the stored layer ${l.diffId} has digest ${got}: the store is damaged`, {
          layer: l.diffId,
          hint: 'remove the image (moby-dick rmi) and pull or load it again',
        });
      }
    }
  }
  for (const s of saved) {
    for (const [digest, bytes] of [
      [s.image.id, s.config],
      [sha256(s.manifest), s.manifest],
    ] as const) {
      if (written.has(digest)) continue;
      written.add(digest);
      await tar.addFile({ name: blobName(digest) }, bytes);
    }
  }
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: saved.flatMap((s) => {
      const d = { mediaType: MediaType.OciManifest, digest: sha256(s.manifest), size: s.manifest.length };
      if (s.tags.length === 0) return [d];
      return s.tags.map((t) => {
        const ref = parseNormalizedReference(t);
        return { ...d, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' } };
      });
    }),
  };
  await tar.addFile({ name: 'index.json' }, Buffer.from(JSON.stringify(index)));
  const manifest = saved.map((s) => ({
    Config: blobName(s.image.id),
    RepoTags: s.tags.length ? s.tags.map((t) => familiarString(parseNormalizedReference(t))) : null,
    Layers: s.layers.map((l) => blobName(l.diffId)),
  }));
  await tar.addFile({ name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest)));
  await tar.addFile({ name: 'oci-layout' }, Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  // the legacy "repositories": repository -> tag -> the top layer's ID (its diff ID here)
  const repositories: Record<string, Record<string, string>> = {};
  for (const s of saved) {
    const top = s.layers[s.layers.length - 1];
    if (!top) continue;
    for (const t of s.tags) {
      const ref = parseNormalizedReference(t);
      const repo = familiarString({ domain: ref.domain, path: ref.path });
      (repositories[repo] ??= {})[ref.tag ?? 'latest'] = digestHex(top.diffId);
    }
  }
  if (Object.keys(repositories).length) await tar.addFile({ name: 'repositories' }, Buffer.from(JSON.stringify(repositories)));
  await tar.finish();
  for (const s of saved) {
    const name = s.tags[0] ? familiarString(parseNormalizedReference(s.tags[0])) : s.image.id;
    store.events.record('image', 'save', s.image.id, { name });
  }
}
