/**
 * GET /system/df: what `docker system df` adds up. Images with the number
 * of containers using each, the layers' total (each layer once), the
 * containers with the size of their writable layer (and of their image
 * below it), and the volumes with their size and how many containers name
 * them. Build cache: none (there is no builder yet).
 */
import type { Engine } from '../engine/engine.js';
import { statusText } from '../engine/status.js';
import { diskUsage, type Volume, volumeDocument, VolumeStore } from '../engine/volumes.js';
import { familiarString, parseNormalizedReference } from '../images/reference.js';
import type { ImageRecord } from '../images/store/image-store.js';
import { imageLabels, imageSummary } from './images.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { DfContainer, SystemDfResponse } from './types-images.js';
import type { VolumeResponse } from './types-volumes.js';

/** Bytes of the distinct layers of IMAGES, by chain ID. */
export function layersSize(images: readonly ImageRecord[], layerSize: (chainId: string) => number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const i of images) {
    for (const c of i.layers) {
      if (seen.has(c)) continue;
      seen.add(c);
      total += layerSize(c);
    }
  }
  return total;
}

/** Bytes of IMAGE's layers that another of IMAGES uses too (what `docker system df` takes off an image's own size). */
export function sharedSize(image: ImageRecord, images: readonly ImageRecord[], layerSize: (chainId: string) => number): number {
  const others = new Set(images.filter((i) => i.id !== image.id).flatMap((i) => i.layers));
  return image.layers.filter((c) => others.has(c)).reduce((n, c) => n + layerSize(c), 0);
}

/** A volume's row: its document with its size and its number of users. */
export function dfVolume(v: Volume, size: number, refCount: number): VolumeResponse {
  return { ...volumeDocument(v), UsageData: { Size: size, RefCount: refCount } };
}

export function systemDf(engine: Engine): SystemDfResponse {
  const store = engine.store;
  const images = store.listImages();
  const size = (chainId: string): number => store.layer(chainId)?.size ?? 0;
  const views = engine.list();
  const now = Date.now();
  const containers: DfContainer[] = views.map((v) => {
    const r = v.record;
    const image = r.imageId ? store.image(r.imageId) : undefined;
    const rw = diskUsage(v.paths.upper);
    return {
      Id: r.id,
      Names: [`/${r.name}`],
      Image: r.image.includes('/') || r.image.includes(':') ? familiarString(parseNormalizedReference(r.image)) : r.image,
      ImageID: r.imageId ?? '',
      Command: r.engine.argv.join(' '),
      Created: Math.floor(Date.parse(r.created) / 1000),
      State: v.state.Status,
      Status: statusText(v.state, r.state.startedAt, now),
      SizeRw: rw,
      SizeRootFs: rw + (image?.size ?? 0),
      Labels: r.labels,
      Mounts: Object.entries(r.volumes).map(([name, dst]) => ({ Type: 'volume', Name: name, Source: '', Destination: dst, RW: true })),
    };
  });
  const records = engine.containers.all();
  const volumes = new VolumeStore(store.root).list().map((v) => dfVolume(v, diskUsage(v.mountpoint), VolumeStore.users(v.name, records).length));
  return {
    LayersSize: layersSize(images, size),
    Images: images.map((i) => ({ ...imageSummary(i, imageLabels(store, i), store.containersUsing(i.id).length), SharedSize: sharedSize(i, images, size) })),
    Containers: containers,
    Volumes: volumes,
    BuildCache: [],
  };
}

export function systemDfRoutes(engine: Engine): Route[] {
  return [{ method: 'GET', path: '/system/df', handler: (ctx: RequestContext) => ctx.reply.json(200, systemDf(engine)) }];
}
