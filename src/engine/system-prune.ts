/**
 * `system prune`: what Docker's does, in its order: the stopped containers,
 * the networks no container uses, the anonymous volumes no container uses
 * (when asked), the dangling images (every unused one with ALL), each
 * kept when a filter says so: until=TIME (created at or after it is kept;
 * not for volumes, as Docker), label=KEY[=VALUE] and label!=KEY[=VALUE].
 */
import { imageLabels } from '../images/inspect.js';
import { familiarString, parseNormalizedReference } from '../images/reference.js';
import { pruneImages } from '../images/remove.js';
import { MobyDickError } from '../errors.js';
import { type Filters, labelsLack, labelsMatch, untilSeconds } from '../util/filters.js';
import { parsePruneFilters, pruneContainers } from './container-prune.js';
import type { Engine } from './engine.js';
import { VolumeStore } from './volumes.js';

export const SYSTEM_PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

export interface SystemPruneOptions {
  /** every image no container uses, not only dangling ones */
  all: boolean;
  /** anonymous volumes too */
  volumes: boolean;
  filters: Filters;
}

export interface SystemPruneResult {
  containers: string[];
  /** network names */
  networks: string[];
  volumes: string[];
  /** per image removed: the names it had (untagged) and its ID */
  images: { untagged: string[]; deleted: string }[];
  /** bytes freed: the containers' writable layers, the volumes, and the blobs and layers no image uses any more */
  bytes: number;
}

/** The checks of FILTERS on what has labels and a creation time. */
export function pruneSelector(filters: Filters, now = Date.now()): (labels: Readonly<Record<string, string>> | undefined, createdMs: number | undefined) => boolean {
  const until = filters.get('until')?.map((u) => untilSeconds(u, now) * 1000);
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];
  return (l, created) => {
    if (until && !until.every((t) => created !== undefined && created < t)) return false;
    return labelsMatch(l, labels) && labelsLack(l, notLabels);
  };
}

/** Refuses what Docker refuses (until with volumes), before anything is asked or removed. */
export function checkSystemPrune(o: SystemPruneOptions): void {
  if (o.volumes && (o.filters.get('until')?.length ?? 0) > 0) {
    throw new MobyDickError('USAGE', 'the "until" filter is not supported with "--volumes"', { hint: 'prune volumes with a label filter, or without --volumes' });
  }
  pruneSelector(o.filters);
}

export async function systemPrune(engine: Engine, o: SystemPruneOptions): Promise<SystemPruneResult> {
  checkSystemPrune(o);
  const selects = pruneSelector(o.filters);
  const asOptions = [...o.filters].flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
  const containers = pruneContainers(engine, parsePruneFilters(asOptions, (t) => untilSeconds(t) * 1000));
  let bytes = containers.bytes;

  await engine.releaseStaleNetworks();
  const used = new Set(engine.containers.all().flatMap((r) => (r.net?.mode === 'bridge' ? r.net.networks.map((a) => a.id) : [])));
  const chosen = new Set(engine.networks.list().filter((n) => selects(n.labels, Date.parse(n.created))).map((n) => n.id));
  const networks = engine.networks.prune((id) => used.has(id) || !chosen.has(id)).map((n) => n.name);

  let volumes: string[] = [];
  if (o.volumes) {
    const r = new VolumeStore(engine.store.root, engine.store.events.recorder, engine.store.removeTree).prune(engine.containers.all(), false, (v) => !selects(v.labels, undefined));
    volumes = r.deleted;
    bytes += r.bytes;
  }

  const store = engine.store;
  const names = new Map(store.listImages().map((i) => [i.id, [...i.tags, ...i.repoDigests].map((t) => familiarString(parseNormalizedReference(t)))]));
  const pruned = pruneImages(store, o.all, (i) => !selects(imageLabels(store, i), i.created ? Date.parse(i.created) : undefined));
  bytes += pruned.gc.bytes;
  return {
    containers: containers.deleted,
    networks,
    volumes,
    images: pruned.deleted.map((id) => ({ untagged: names.get(id) ?? [], deleted: id })),
    bytes,
  };
}
