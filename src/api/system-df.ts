/**
 * GET /system/df: what `docker system df` adds up (engine/disk-usage.ts,
 * which `moby-dick system df` prints too), in Docker's shapes. Build
 * cache: none (the builder keeps none apart from images).
 */
import type { Engine } from '../engine/engine.js';
import { statusText } from '../engine/status.js';
import { diskUsageOf } from '../engine/disk-usage.js';
import { type Volume, volumeDocument } from '../engine/volumes.js';
import { familiarString, parseNormalizedReference } from '../images/reference.js';
import { imageLabels, imageSummary } from './images.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { DfContainer, SystemDfResponse } from './types-images.js';
import type { VolumeResponse } from './types-volumes.js';

export { layersSize, sharedSize } from '../engine/disk-usage.js';

/** A volume's row: its document with its size and its number of users. */
export function dfVolume(v: Volume, size: number, refCount: number): VolumeResponse {
  return { ...volumeDocument(v), UsageData: { Size: size, RefCount: refCount } };
}

export function systemDf(engine: Engine): SystemDfResponse {
  const store = engine.store;
  const usage = diskUsageOf(engine);
  const now = Date.now();
  const containers: DfContainer[] = usage.containers.map(({ view: v, sizeRw, sizeRootFs }) => {
    const r = v.record;
    return {
      Id: r.id,
      Names: [`/${r.name}`],
      Image: r.image.includes('/') || r.image.includes(':') ? familiarString(parseNormalizedReference(r.image)) : r.image,
      ImageID: r.imageId ?? '',
      Command: r.engine.argv.join(' '),
      Created: Math.floor(Date.parse(r.created) / 1000),
      State: v.state.Status,
      Status: statusText(v.state, r.state.startedAt, now),
      SizeRw: sizeRw,
      SizeRootFs: sizeRootFs,
      Labels: r.labels,
      Mounts: Object.entries(r.volumes).map(([name, dst]) => ({ Type: 'volume', Name: name, Source: '', Destination: dst, RW: true })),
    };
  });
  return {
    LayersSize: usage.layersSize,
    Images: usage.images.map((u) => ({ ...imageSummary(u.image, imageLabels(store, u.image), u.containers), SharedSize: u.sharedSize })),
    Containers: containers,
    Volumes: usage.volumes.map((u) => dfVolume(u.volume, u.size, u.refCount)),
    BuildCache: [],
  };
}

export function systemDfRoutes(engine: Engine): Route[] {
  return [{ method: 'GET', path: '/system/df', handler: (ctx: RequestContext) => ctx.reply.json(200, systemDf(engine)) }];
}
