/**
 * The image endpoints: pull (POST /images/create, Docker's JSON progress
 * stream; with fromSrc=- an import of the body), list with filters, inspect, history, tag, push (progress
 * stream, X-Registry-Auth), remove, save (`get`), load and prune. Each
 * calls what the CLI's image commands call (src/images/: pullImage,
 * pushImage, removeImage, saveImages, loadImages, ...) on the engine's
 * store; the translation to Docker's shapes is here and pure where it can be.
 */
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { importImage } from '../images/archive/import.js';
import { loadImages } from '../images/archive/load.js';
import { resolveSaveInputs, saveImages } from '../images/archive/save.js';
import { imageHistory, inspectDocument, rawImageConfig } from '../images/inspect.js';
import { getImage } from '../images/lookup.js';
import { parsePlatform } from '../images/platform.js';
import { pullImage } from '../images/pull.js';
import { tagImage } from '../images/tag.js';
import { pushImage } from '../images/push.js';
import { familiarName, familiarString, parseNormalizedReference, referenceString, validateTag, withDefaultTag } from '../images/reference.js';
import { pruneImages, removeImage } from '../images/remove.js';
import type { ImageRecord, ImageStore } from '../images/store/image-store.js';
import { registryAuth } from './auth.js';
import { ApiError } from './errors.js';
import type { Filters } from './filters.js';
import { boolFilter, globRegExp, labelsLack, labelsMatch, filtersOf, queryBool } from './filter-match.js';
import { JsonStream } from './json-stream.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { ImageDeleteResponseItem, ImageInspect, ImagePruneResponse, ImageSummary, HistoryResponseItem } from './types-images.js';

const familiar = (name: string): string => familiarString(parseNormalizedReference(name));

/** The labels of an image's config (Config.Labels), {} without any. */
export function imageLabels(store: ImageStore, image: ImageRecord): Record<string, string> {
  try {
    const c = rawImageConfig(store, image).config as { Labels?: Record<string, string> | null } | undefined;
    return c?.Labels ?? {};
  } catch {
    return {};
  }
}

const seconds = (iso: string | undefined): number => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
};

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

/** Whether the familiar reference NAME matches a reference filter PATTERN: the whole string, or its name alone (Docker's FamiliarMatch). */
export function referenceMatches(pattern: string, name: string): boolean {
  const re = globRegExp(pattern);
  const ref = parseNormalizedReference(name);
  return re.test(familiarString(ref)) || re.test(familiarName(ref));
}

export const IMAGE_LIST_FILTERS = ['before', 'dangling', 'label', 'reference', 'since'] as const;

/**
 * GET /images/json's rows, newest first, filtered: dangling (no tag), label
 * (all given), reference (any pattern; RepoTags and RepoDigests keep only
 * what matched), before and since (created before or after an image's).
 */
export function listImages(images: readonly ImageRecord[], filters: Filters, labelsOf: (i: ImageRecord) => Record<string, string>, createdOf: (ref: string) => number): ImageSummary[] {
  const dangling = boolFilter(filters, 'dangling');
  const labels = filters.get('label') ?? [];
  const patterns = filters.get('reference') ?? [];
  const before = filters.get('before')?.map(createdOf);
  const since = filters.get('since')?.map(createdOf);
  const out: ImageSummary[] = [];
  for (const image of images) {
    if (dangling !== undefined && dangling !== (image.tags.length === 0)) continue;
    const created = seconds(image.created);
    if (before && !before.every((t) => created < t)) continue;
    if (since && !since.every((t) => created > t)) continue;
    const l = labelsOf(image);
    if (!labelsMatch(l, labels)) continue;
    const s = imageSummary(image, l);
    if (patterns.length) {
      const keep = (n: string): boolean => patterns.some((p) => referenceMatches(p, n));
      s.RepoTags = s.RepoTags.filter(keep);
      s.RepoDigests = s.RepoDigests.filter(keep);
      if (s.RepoTags.length === 0 && s.RepoDigests.length === 0) continue;
    }
    out.push(s);
  }
  return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
}

/** A Go duration (1h30m, 10m, 45s, 1.5h) in ms. */
function goDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * units[m[2]!]!;
    at = re.lastIndex;
  }
  return at === text.length && at > 0 ? total : undefined;
}

/** The `until` filter's time in seconds since the epoch: a Unix timestamp, an RFC 3339 date, or a duration before NOW. */
export function untilSeconds(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const d = goDuration(value);
  if (d !== undefined) return Math.floor((now - d) / 1000);
  const t = Date.parse(value);
  if (Number.isFinite(t)) return Math.floor(t / 1000);
  throw new ApiError(400, `invalid filter 'until=${value}': expected a timestamp, a date or a duration`);
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
 * POST /images/create?fromSrc=-: the body is a root filesystem tarball,
 * imported as `moby-dick import` does (repo and tag name it, message is
 * its history's comment); the answer is the image ID as a status line.
 * A URL to fetch it from and Dockerfile `changes` are refused.
 */
async function importFrom(engine: Engine, ctx: RequestContext, fromSrc: string): Promise<void> {
  if (fromSrc !== '-') throw new ApiError(501, 'importing from a URL is not supported: send the tarball as the body (fromSrc=-)');
  const changes = ctx.query.getAll('changes').filter((c) => c !== '');
  if (changes.length) throw new ApiError(400, `changes is not supported by import: ${changes[0]}`);
  const repo = ctx.query.get('repo') ?? '';
  const t = ctx.query.get('tag') ?? '';
  const message = ctx.query.get('message') ?? '';
  const platformText = ctx.query.get('platform') ?? '';
  const reference = repo === '' ? undefined : pullName(repo, t);
  const r = await importImage(engine.store, ctx.body, {
    source: 'the request body',
    ...(reference !== undefined ? { reference } : {}),
    ...(message !== '' ? { message } : {}),
    ...(platformText ? { platform: parsePlatform(platformText) } : {}),
  });
  const out = new JsonStream(ctx);
  out.send({ status: r.id });
  out.end();
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
