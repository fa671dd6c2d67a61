/**
 * Pushing an image: the blobs the registry lacks (HEAD first; mounted from
 * another repository of the same registry the image is tagged in, when the
 * registry can, else uploaded), then the manifest it was pulled with, byte
 * for byte, so the registry ends up with the same digests as the source. An image without a stored manifest (none
 * yet: every image here comes from a pull) cannot be pushed.
 */
import { MobyDickError } from '../errors.js';
import { shortId } from './digest.js';
import type { Credentials } from './registry/docker-config.js';
import type { HttpClient } from './registry/http.js';
import { parseManifest } from './manifest.js';
import { clientFor, pullError, type PullProgress } from './pull.js';
import { familiarString, parseNormalizedReference, referenceString, withDefaultTag } from './reference.js';
import { getImage } from './lookup.js';
import type { ImageStore } from './store/image-store.js';

export interface PushOptions {
  insecureRegistries?: readonly string[];
  progress?: PullProgress;
  /** the login to use instead of the stored one (the Engine API's X-Registry-Auth) */
  credentials?: Credentials;
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  http?: HttpClient;
}

export interface PushResult {
  reference: string;
  digest: string;
  size: number;
}

export async function pushImage(store: ImageStore, input: string, opts: PushOptions = {}): Promise<PushResult> {
  const ref = withDefaultTag(parseNormalizedReference(input));
  const name = referenceString(ref);
  const image = store.imageByTag(name) ?? (ref.digest ? getImage(store, input).image : undefined);
  if (!image) {
    throw new MobyDickError('IMAGE', `An image does not exist locally with the tag: ${familiarString(ref).replace(/:latest$/, '')}`, {
      image: familiarString(ref),
      hint: `tag one first: moby-dick tag IMAGE ${familiarString(ref)}`,
    });
  }
  const progress = opts.progress ?? { line: () => {}, layer: () => {} };
  const client = clientFor(ref, opts);
  const repo = ref.path;
  let current: string | undefined;
  try {
    if (!image.manifestDigest || !store.blobs.has(image.manifestDigest)) {
      throw new MobyDickError('IMAGE', 'the store has no manifest for this image', { hint: 'pull it again, then push' });
    }
    const bytes = store.blobs.read(image.manifestDigest);
    const parsed = parseManifest(bytes, image.manifestMediaType);
    if (parsed.kind !== 'manifest') throw new MobyDickError('STORE', 'the stored manifest is an index');
    progress.line(`The push refers to repository [${ref.domain}/${repo}]`);
    // where the registry may have the blobs already: another repository of it the image is tagged in
    const mountFrom = image.tags.map((t) => parseNormalizedReference(t)).find((t) => t.domain === ref.domain && t.path !== repo)?.path;
    const blobs = [...parsed.manifest.layers, parsed.manifest.config];
    const missing = blobs.find((b) => !store.blobs.has(b.digest));
    if (missing) {
      current = missing.digest;
      throw new MobyDickError('STORE', 'the compressed blob is not in the store', { hint: 'pull the image again, then push' });
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < blobs.length) {
        const b = blobs[next++]!;
        const id = shortId(b.digest);
        try {
          if (await client.hasBlob(repo, b.digest)) {
            progress.layer(id, 'Layer already exists');
            continue;
          }
          progress.layer(id, 'Pushing', 0, b.size);
          const how = await client.uploadBlob(repo, b.digest, b.size, () => store.blobs.stream(b.digest), mountFrom);
          progress.layer(id, how === 'mounted' ? `Mounted from ${mountFrom}` : 'Pushed');
        } catch (e) {
          throw pullError(e, 'push', ref, b.digest);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 3, blobs.length) }, worker));
    current = undefined;
    const tag = ref.tag ?? ref.digest!;
    const digest = await client.putManifest(repo, ref.digest ?? tag, bytes, parsed.mediaType);
    progress.line(`${tag}: digest: ${digest} size: ${bytes.length}`);
    store.events.record('image', 'push', familiarString(ref), { name: familiarString(ref) });
    return { reference: name, digest, size: bytes.length };
  } catch (e) {
    if (e instanceof MobyDickError && e.details.image !== undefined) throw e;
    throw pullError(e, 'push', ref, current);
  }
}
