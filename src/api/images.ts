/**
 * The image endpoints: pull (POST /images/create, Docker's JSON progress
 * stream; with fromSrc an import of the body or of a URL), list with filters, inspect, history, tag, push (progress
 * stream, X-Registry-Auth), remove, save (`get`), load and prune. Each
 * calls what the CLI's image commands call (src/images/: pullImage,
 * pushImage, removeImage, saveImages, loadImages, ...) on the engine's
 * store; the translation to Docker's shapes is here and pure where it can be.
 */
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { importImage, type ImportOptions } from '../images/archive/import.js';
import { fetchImportTarball, importUrl } from '../images/import-url.js';
import { loadImages } from '../images/archive/load.js';
import { resolveSaveInputs, saveImages } from '../images/archive/save.js';
import { imageHistory, imageLabels, inspectDocument } from '../images/inspect.js';
import { createdSeconds, IMAGE_LIST_FILTERS, imageFilter } from '../images/image-filters.js';
import { getImage } from '../images/lookup.js';
import { parsePlatform } from '../images/platform.js';
import { pullImage } from '../images/pull.js';
import { tagImage } from '../images/tag.js';
import { pushImage } from '../images/push.js';
import { familiarString, parseNormalizedReference, referenceString, validateTag, withDefaultTag } from '../images/reference.js';
import { pruneImages, removeImage } from '../images/remove.js';
import type { ImageRecord } from '../images/store/image-store.js';
import { registryAuth } from './auth.js';
import { ApiError } from './errors.js';
import type { Filters } from './filters.js';
import { boolFilter, labelsLack, labelsMatch, filtersOf, queryBool } from './filter-match.js';
import { untilSeconds } from '../util/filters.js';
import { JsonStream, PROGRESS_MS } from './json-stream.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { ImageDeleteResponseItem, ImageInspect, ImagePruneResponse, ImageSummary, HistoryResponseItem } from './types-images.js';

// shared with the CLI's images and system df, and with networks.ts
export { imageLabels } from '../images/inspect.js';
export { IMAGE_LIST_FILTERS, referenceMatches } from '../images/image-filters.js';
export { untilSeconds } from '../util/filters.js';

const familiar = (name: string): string => familiarString(parseNormalizedReference(name));

const seconds = createdSeconds;

/** An image's row of GET /images/json (CONTAINERS: -1 unless counted, as /system/df does). */
export function imageSummary(image: ImageRecord, labels: Record<string, string>, containers = -1): ImageSummary {
  return {
    Id: image.id,
    ParentId: '',
    RepoTags: image.tags.map(familiar),
    RepoDigests: image.repoDigests.map(familiar),
    Created: seconds(image.created),
    Size: image.size,
    SharedSize: -1,
    VirtualSize: image.size,
    Labels: labels,
    Containers: containers,
  };
}

/**
 * GET /images/json's rows, newest first, filtered (images/image-filters.ts,
 * as `images --filter`): RepoTags and RepoDigests keep only what a
 * reference filter matched.
 */
export function listImages(images: readonly ImageRecord[], filters: Filters, labelsOf: (i: ImageRecord) => Record<string, string>, createdOf: (ref: string) => number): ImageSummary[] {
  const f = imageFilter(filters, labelsOf, createdOf);
  const out: ImageSummary[] = [];
  for (const image of images) {
    if (!f.image(image)) continue;
    const s = imageSummary(image, labelsOf(image));
    if (f.byReference) {
      s.RepoTags = s.RepoTags.filter(f.name);
      s.RepoDigests = s.RepoDigests.filter(f.name);
      if (s.RepoTags.length === 0 && s.RepoDigests.length === 0) continue;
    }
    out.push(s);
  }
  return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
}

/** The image name POST /images/create pulls: fromImage with tag (a tag or a digest) when given. */
export function pullName(fromImage: string, tag: string): string {
  if (tag === '') return fromImage;
  const ref = parseNormalizedReference(fromImage);
  const base = referenceString({ domain: ref.domain, path: ref.path });
  return /^[a-z0-9]+:[a-f0-9]{32,}$/.test(tag) ? `${base}@${tag}` : `${base}:${validateTag(tag)}`;
}

async function create(engine: Engine, ctx: RequestContext): Promise<void> {
  const fromImage = ctx.query.get('fromImage') ?? '';
  const fromSrc = ctx.query.get('fromSrc') ?? '';
  if (fromSrc !== '') return importFrom(engine, ctx, fromSrc);
  if (fromImage === '') throw new ApiError(400, 'fromImage or fromSrc is required');
  const name = pullName(fromImage, ctx.query.get('tag') ?? '');
  const platformText = ctx.query.get('platform') ?? '';
  const credentials = registryAuth(ctx.headers['x-registry-auth']);
  const out = new JsonStream(ctx);
  try {
    await pullImage(engine.store, name, {
      ...(platformText ? { platform: parsePlatform(platformText) } : {}),
      ...(credentials ? { credentials } : {}),
      progress: out.progress(),
    });
  } catch (e) {
    out.end(e);
    return;
  }
  out.end();
}

/**
 * POST /images/create?fromSrc=-|URL: a root filesystem tarball imported
 * as `moby-dick import` does (repo and tag name it, message is its
 * history's comment), from the body (-) or fetched from an http(s) URL
 * (dockerd's "Downloading from" and "Importing" progress, throttled); the
 * answer ends with the image ID as a status line. A client that goes away
 * stops the download. Dockerfile `changes` are refused.
 */
async function importFrom(engine: Engine, ctx: RequestContext, fromSrc: string): Promise<void> {
  const changes = ctx.query.getAll('changes').filter((c) => c !== '');
  if (changes.length) throw new ApiError(400, `changes is not supported by import: ${changes[0]}`);
  const repo = ctx.query.get('repo') ?? '';
  const t = ctx.query.get('tag') ?? '';
  const message = ctx.query.get('message') ?? '';
  const platformText = ctx.query.get('platform') ?? '';
  const reference = repo === '' ? undefined : pullName(repo, t);
  const options = (source: string): ImportOptions => ({
    source,
    ...(reference !== undefined ? { reference } : {}),
    ...(message !== '' ? { message } : {}),
    ...(platformText ? { platform: parsePlatform(platformText) } : {}),
  });
  if (fromSrc === '-') {
    const r = await importImage(engine.store, ctx.body, options('the request body'));
    const out = new JsonStream(ctx);
    out.send({ status: r.id });
    out.end();
    return;
  }
  const url = importUrl(fromSrc);
  const out = new JsonStream(ctx);
  const abort = new AbortController();
  void ctx.closed.then(() => abort.abort());
  try {
    const fetched = await fetchImportTarball(url, abort.signal);
    out.send({ status: `Downloading from ${url}` });
    const r = await importImage(engine.store, importing(fetched.body, fetched.size, out), options(url.toString()));
    out.send({ status: r.id });
  } catch (e) {
    out.end(e);
    return;
  }
  out.end();
}

/** BODY's chunks, with dockerd's "Importing" progress (bytes so far, of SIZE when known) every PROGRESS_MS. */
async function* importing(body: AsyncIterable<Buffer>, size: number | undefined, out: JsonStream): AsyncGenerator<Buffer> {
  let current = 0;
  let last = 0;
  for await (const chunk of body) {
    current += chunk.length;
    const now = Date.now();
    if (now - last >= PROGRESS_MS) {
      last = now;
      out.send({ status: 'Importing', progressDetail: { current, ...(size !== undefined ? { total: size } : {}) } });
    }
    yield chunk;
  }
}

async function push(engine: Engine, ctx: RequestContext): Promise<void> {
  const tag = ctx.query.get('tag') ?? '';
  const ref = parseNormalizedReference(ctx.params.name!);
  const name = tag === '' ? ctx.params.name! : referenceString({ domain: ref.domain, path: ref.path, tag: validateTag(tag) });
  const credentials = registryAuth(ctx.headers['x-registry-auth']);
  const out = new JsonStream(ctx);
  try {
    const r = await pushImage(engine.store, name, { ...(credentials ? { credentials } : {}), progress: out.progress() });
    const pushed = parseNormalizedReference(r.reference);
    out.send({ progressDetail: {}, aux: { Tag: pushed.tag ?? '', Digest: r.digest, Size: r.size } });
  } catch (e) {
    out.end(e);
    return;
  }
  out.end();
}

function tag(engine: Engine, ctx: RequestContext): void {
  const repo = ctx.query.get('repo') ?? '';
  if (repo === '') throw new ApiError(400, 'repo is required');
  const t = ctx.query.get('tag') ?? '';
  const parsed = parseNormalizedReference(repo);
  if (parsed.digest !== undefined) throw new ApiError(400, 'refusing to create a tag with a digest reference');
  if (parsed.tag !== undefined && t !== '') throw new ApiError(400, 'refusing to create an ambiguous tag using digest or tag in repo and tag');
  const target = t === '' ? withDefaultTag(parsed) : { domain: parsed.domain, path: parsed.path, tag: validateTag(t) };
  const { image } = getImage(engine.store, ctx.params.name!);
  tagImage(engine.store, image.id, target);
  ctx.reply.empty(201);
}

function remove(engine: Engine, ctx: RequestContext): void {
  const events = removeImage(engine.store, ctx.params.name!, queryBool(ctx.query, 'force'));
  if (events.some((e) => e.deleted) && !queryBool(ctx.query, 'noprune')) engine.store.gc();
  const body: ImageDeleteResponseItem[] = events.map((e) => (e.deleted ? { Deleted: e.deleted } : { Untagged: e.untagged! }));
  ctx.reply.json(200, body);
}

function history(engine: Engine, ctx: RequestContext): void {
  const body: HistoryResponseItem[] = imageHistory(engine.store, ctx.params.name!).map((h) => ({
    Id: h.id ?? '<missing>',
    Created: h.created,
    CreatedBy: h.createdBy,
    Tags: h.id ? h.tags : null,
    Size: h.size,
    Comment: h.comment,
  }));
  ctx.reply.json(200, body);
}

function inspect(engine: Engine, ctx: RequestContext): void {
  const doc = inspectDocument(engine.store, ctx.params.name!);
  const body = { ...doc, Container: '', ContainerConfig: null, VirtualSize: doc.Size } as unknown as ImageInspect;
  ctx.reply.json(200, body);
}

async function save(engine: Engine, ctx: RequestContext, names: readonly string[]): Promise<void> {
  if (names.length === 0) throw new ApiError(400, 'no image named: give names=IMAGE');
  resolveSaveInputs(engine.store, names); // a missing image is a 404 before the archive begins
  const out = ctx.reply.stream(200, { 'Content-Type': 'application/x-tar' });
  try {
    await saveImages(engine.store, names, out);
    out.end();
  } catch (e) {
    out.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}

async function load(engine: Engine, ctx: RequestContext): Promise<void> {
  const loaded = await loadImages(engine.store, ctx.body, { source: 'the request body' });
  const out = new JsonStream(ctx);
  for (const image of loaded) {
    for (const m of image.moved) out.send({ stream: `The image ${familiar(m.tag)} already exists, renaming the old one with ID ${m.from} to empty string\n` });
    if (image.tags.length === 0) out.send({ stream: `Loaded image ID: ${image.id}\n` });
    for (const t of image.tags) out.send({ stream: `Loaded image: ${familiar(t)}\n` });
  }
  out.end();
}

function prune(engine: Engine, ctx: RequestContext): void {
  const filters = filtersOf(ctx.query, ['dangling', 'label', 'label!', 'until']);
  const all = boolFilter(filters, 'dangling') === false;
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];
  const until = filters.get('until')?.map((u) => untilSeconds(u));
  const keep = (image: ImageRecord): boolean => {
    if (until && !until.every((t) => seconds(image.created) < t)) return true;
    if (labels.length === 0 && notLabels.length === 0) return false;
    const l = imageLabels(engine.store, image);
    return !labelsMatch(l, labels) || !labelsLack(l, notLabels);
  };
  const untagged = new Map(engine.store.listImages().map((i) => [i.id, [...i.tags, ...i.repoDigests]]));
  const r = pruneImages(engine.store, all, keep);
  const deleted: ImageDeleteResponseItem[] = r.deleted.flatMap((id) => [...(untagged.get(id) ?? []).map((t) => ({ Untagged: familiar(t) })), { Deleted: id }]);
  const body: ImagePruneResponse = { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: r.gc.bytes };
  ctx.reply.json(200, body);
}

function list(engine: Engine, ctx: RequestContext): void {
  const filters = filtersOf(ctx.query, IMAGE_LIST_FILTERS);
  const createdOf = (ref: string): number => {
    try {
      return seconds(getImage(engine.store, ref).image.created);
    } catch (e) {
      if (e instanceof MobyDickError) throw new ApiError(404, `No such image: ${ref}`);
      throw e;
    }
  };
  ctx.reply.json(200, listImages(engine.store.listImages(), filters, (i) => imageLabels(engine.store, i), createdOf));
}

export function imageRoutes(engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/images/json', handler: (ctx) => list(engine, ctx) },
    { method: 'POST', path: '/images/create', handler: (ctx) => create(engine, ctx) },
    { method: 'POST', path: '/images/load', handler: (ctx) => load(engine, ctx) },
    { method: 'POST', path: '/images/prune', handler: (ctx) => prune(engine, ctx) },
    { method: 'GET', path: '/images/get', handler: (ctx) => save(engine, ctx, ctx.query.getAll('names')) },
    { method: 'GET', path: '/images/{name*}/json', handler: (ctx) => inspect(engine, ctx) },
    { method: 'GET', path: '/images/{name*}/history', handler: (ctx) => history(engine, ctx) },
    { method: 'GET', path: '/images/{name*}/get', handler: (ctx) => save(engine, ctx, [ctx.params.name!]) },
    { method: 'POST', path: '/images/{name*}/tag', handler: (ctx) => tag(engine, ctx) },
    { method: 'POST', path: '/images/{name*}/push', handler: (ctx) => push(engine, ctx) },
    { method: 'DELETE', path: '/images/{name*}', handler: (ctx) => remove(engine, ctx) },
  ];
}
