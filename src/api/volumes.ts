/**
 * The volume endpoints: list (filters), create, inspect, remove (force),
 * prune; on the store's volumes (engine/volumes.ts) with every container
 * record counted as a user, as the CLI's `volume` commands do. Prune
 * follows the client's version: named volumes too before 1.42, only
 * anonymous ones since unless the all filter says otherwise.
 */
import type { Engine } from '../engine/engine.js';
import { parseVolumeOptions, type Volume, volumeDocument, VolumeStore } from '../engine/volumes.js';
import { MobyDickError } from '../errors.js';
import { object, string, stringMap } from './body.js';
import { ApiError } from './errors.js';
import type { Filters } from './filters.js';
import { boolFilter, labelsLack, labelsMatch, filtersOf, queryBool } from './filter-match.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import { compareVersions } from './version.js';
import type { VolumeListResponse, VolumePruneResponse, VolumeResponse } from './types-volumes.js';

export const VOLUME_LIST_FILTERS = ['dangling', 'driver', 'label', 'name'] as const;

/** GET /volumes's filters: dangling (no container names it), driver (local), label (all given), name (a substring, any given). */
export function filterVolumes(volumes: readonly Volume[], filters: Filters, inUse: (name: string) => boolean): Volume[] {
  const dangling = boolFilter(filters, 'dangling');
  const names = filters.get('name') ?? [];
  const drivers = filters.get('driver') ?? [];
  return volumes.filter(
    (v) =>
      (dangling === undefined || dangling !== inUse(v.name)) &&
      (names.length === 0 || names.some((n) => v.name.includes(n))) &&
      (drivers.length === 0 || drivers.includes('local')) &&
      labelsMatch(v.labels, filters.get('label') ?? []),
  );
}

/** A volume by NAME; a missing one is Docker's 404. */
function getVolume(volumes: VolumeStore, name: string): Volume {
  try {
    return volumes.get(name);
  } catch (e) {
    if (e instanceof MobyDickError && /no such volume/.test(e.message)) throw new ApiError(404, e.message);
    throw e;
  }
}

function list(engine: Engine, ctx: RequestContext): void {
  const filters = filtersOf(ctx.query, VOLUME_LIST_FILTERS);
  const volumes = new VolumeStore(engine.store.root, engine.store.events.recorder);
  const containers = engine.containers.all();
  const shown = filterVolumes(volumes.list(), filters, (n) => VolumeStore.users(n, containers).length > 0);
  const body: VolumeListResponse = { Volumes: shown.map((v): VolumeResponse => volumeDocument(v)), Warnings: [] };
  ctx.reply.json(200, body);
}

/** The arguments of VolumeStore.create for a POST /volumes/create body (types-volumes.ts's VolumeCreateBody), read field by field. */
export function volumeCreateOf(value: unknown): { name: string | undefined; labels: Record<string, string>; opts: string[] } {
  const body = object(value, 'body') ?? {};
  const driver = string(body.Driver, 'Driver');
  if (driver !== undefined && driver !== '' && driver !== 'local') throw new ApiError(404, `plugin "${driver}" not found: moby-dick has the local driver only`);
  if (object(body.ClusterVolumeSpec, 'ClusterVolumeSpec')) throw new ApiError(400, 'cluster volumes are not supported');
  const opts = Object.entries(stringMap(body.DriverOpts, 'DriverOpts') ?? {}).map(([k, v]) => `${k}=${v}`);
  return { name: string(body.Name, 'Name') || undefined, labels: stringMap(body.Labels, 'Labels') ?? {}, opts };
}

async function create(engine: Engine, ctx: RequestContext): Promise<void> {
  const { name, labels, opts } = volumeCreateOf(await ctx.json());
  const v = new VolumeStore(engine.store.root, engine.store.events.recorder).create(name, labels, parseVolumeOptions(opts));
  const body: VolumeResponse = volumeDocument(v);
  ctx.reply.json(201, body);
}

function inspect(engine: Engine, ctx: RequestContext): void {
  const body: VolumeResponse = volumeDocument(getVolume(new VolumeStore(engine.store.root, engine.store.events.recorder), ctx.params.name!));
  ctx.reply.json(200, body);
}

function remove(engine: Engine, ctx: RequestContext): void {
  const volumes = new VolumeStore(engine.store.root, engine.store.events.recorder);
  const force = queryBool(ctx.query, 'force');
  if (!force) getVolume(volumes, ctx.params.name!);
  volumes.remove(ctx.params.name!, engine.containers.all(), force);
  ctx.reply.empty(204);
}

function prune(engine: Engine, ctx: RequestContext): void {
  const filters = filtersOf(ctx.query, ['label', 'label!', 'all']);
  // before API 1.42, prune took every unused volume; since, only anonymous ones unless all=true
  const all = boolFilter(filters, 'all') === true || compareVersions(ctx.version, '1.42') < 0;
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];
  const keep = (v: Volume): boolean => !labelsMatch(v.labels, labels) || !labelsLack(v.labels, notLabels);
  const { deleted, bytes } = new VolumeStore(engine.store.root, engine.store.events.recorder).prune(engine.containers.all(), all, keep);
  const body: VolumePruneResponse = { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: bytes };
  ctx.reply.json(200, body);
}

export function volumeRoutes(engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/volumes', handler: (ctx) => list(engine, ctx) },
    { method: 'POST', path: '/volumes/create', handler: (ctx) => create(engine, ctx) },
    { method: 'POST', path: '/volumes/prune', handler: (ctx) => prune(engine, ctx) },
    { method: 'GET', path: '/volumes/{name}', handler: (ctx) => inspect(engine, ctx) },
    { method: 'DELETE', path: '/volumes/{name}', handler: (ctx) => remove(engine, ctx) },
  ];
}
