/**
 * What `image inspect` and `history` show of a stored image, in Docker's
 * shapes: the inspect document (from the store's record and the config
 * blob) and the history entries (the config's history, each with the size
 * of the layer it made), for the CLI's commands and the Engine API alike.
 */
import { getImage } from './lookup.js';
import { familiarString, parseNormalizedReference } from './reference.js';
import type { ImageRecord, ImageStore } from './store/image-store.js';

/** The image config blob of IMAGE as JSON (its fields are passed on as they are). */
export function rawImageConfig(store: ImageStore, image: ImageRecord): Record<string, unknown> {
  return JSON.parse(store.blobs.read(image.id).toString('utf8')) as Record<string, unknown>;
}

const familiar = (n: string): string => familiarString(parseNormalizedReference(n));

/** Docker's inspect document, from the store's record and the config blob. */
export function inspectDocument(store: ImageStore, input: string): Record<string, unknown> {
  const { image } = getImage(store, input);
  const config = rawImageConfig(store, image);
  const rootfs = (config.rootfs ?? {}) as { diff_ids?: string[] };
  return {
    Id: image.id,
    RepoTags: image.tags.map(familiar),
    RepoDigests: image.repoDigests.map(familiar),
    Parent: '',
    Comment: (config.comment as string | undefined) ?? '',
    Created: image.created ?? '0001-01-01T00:00:00Z',
    DockerVersion: (config.docker_version as string | undefined) ?? '',
    Author: (config.author as string | undefined) ?? '',
    Config: config.config ?? null,
    Architecture: image.architecture,
    ...(image.variant ? { Variant: image.variant } : {}),
    Os: image.os,
    Size: image.size,
    GraphDriver: {
      Data: { LowerDir: [...image.layers].reverse().map((c) => store.layerDirs.diffPath(c)).join(':') },
      Name: 'moby-dick',
    },
    RootFS: { Type: 'layers', Layers: rootfs.diff_ids ?? [] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export interface HistoryEntry {
  /** the image's ID for the newest entry, undefined for the others (Docker's "<missing>") */
  id: string | undefined;
  /** seconds since the epoch, 0 when unknown */
  created: number;
  createdBy: string;
  comment: string;
  /** the newest entry's: the image's tags (familiar) */
  tags: string[];
  /** bytes of the layer the step made; 0 for an empty layer */
  size: number;
}

interface HistoryRecord {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/**
 * The history of IMAGE, newest first, as `docker history` lists it: each
 * step of CONFIG's history with the size of its layer (LAYER_SIZES, lowest
 * first; an empty_layer step has none). Without a history in the config,
 * one entry per layer. Pure.
 */
export function historyEntries(image: ImageRecord, config: Record<string, unknown>, layerSizes: readonly number[]): HistoryEntry[] {
  const seconds = (t: string | undefined): number => {
    const ms = t === undefined ? NaN : Date.parse(t);
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
  };
  const records: HistoryRecord[] = Array.isArray(config.history) && config.history.length > 0
    ? (config.history as HistoryRecord[])
    : layerSizes.map(() => ({ ...(image.created !== undefined ? { created: image.created } : {}) }));
  let layer = 0;
  const out: HistoryEntry[] = records.map((h) => ({
    id: undefined,
    created: seconds(h.created),
    createdBy: h.created_by ?? '',
    comment: h.comment ?? '',
    tags: [],
    size: h.empty_layer ? 0 : (layerSizes[layer++] ?? 0),
  }));
  out.reverse();
  if (out[0]) {
    out[0].id = image.id;
    out[0].tags = image.tags.map(familiar);
  }
  return out;
}

/** The history of the image INPUT names (historyEntries), from the store. */
export function imageHistory(store: ImageStore, input: string): HistoryEntry[] {
  const { image } = getImage(store, input);
  return historyEntries(image, rawImageConfig(store, image), image.layers.map((c) => store.layer(c)?.size ?? 0));
}

/** The labels of an image's config (Config.Labels), {} without any. */
export function imageLabels(store: ImageStore, image: ImageRecord): Record<string, string> {
  try {
    const c = rawImageConfig(store, image).config as { Labels?: Record<string, string> | null } | undefined;
    return c?.Labels ?? {};
  } catch {
    return {};
  }
}
