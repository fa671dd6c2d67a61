/**
 * What `system df` adds up, and GET /system/df answers: the images with
 * the number of containers using each and the bytes they share with other
 * images, the layers' total (each layer once), the containers with the
 * size of their writable layer (and of their image below it), and the
 * volumes with their size and how many containers name them. The CLI and
 * the API shape these into their own tables and documents.
 */
import type { ImageRecord } from '../images/store/image-store.js';
import type { ContainerView, Engine } from './engine.js';
import { diskUsage, type Volume, VolumeStore } from './volumes.js';

export interface ImageUsage {
  image: ImageRecord;
  /** containers created from it */
  containers: number;
  /** bytes of its layers that another image uses too */
  sharedSize: number;
}

export interface ContainerUsage {
  view: ContainerView;
  /** bytes of its writable layer */
  sizeRw: number;
  /** its writable layer and its image */
  sizeRootFs: number;
}

export interface VolumeUsage {
  volume: Volume;
  size: number;
  /** containers that name it */
  refCount: number;
}

export interface DiskUsage {
  /** bytes of the distinct layers of every image */
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
  volumes: VolumeUsage[];
}

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

/** A container's sizes, as `ps -s` and `inspect -s` show them: its writable layer, and that with its image. */
export function containerSize(engine: Engine, v: ContainerView): { sizeRw: number; sizeRootFs: number } {
  const image = v.record.imageId ? engine.store.image(v.record.imageId) : undefined;
  const sizeRw = diskUsage(v.paths.upper);
  return { sizeRw, sizeRootFs: sizeRw + (image?.size ?? 0) };
}

export function diskUsageOf(engine: Engine): DiskUsage {
  const store = engine.store;
  const images = store.listImages();
  const size = (chainId: string): number => store.layer(chainId)?.size ?? 0;
  const records = engine.containers.all();
  return {
    layersSize: layersSize(images, size),
    images: images.map((image) => ({ image, containers: store.containersUsing(image.id).length, sharedSize: sharedSize(image, images, size) })),
    containers: engine.list().map((view) => ({ view, ...containerSize(engine, view) })),
    volumes: new VolumeStore(store.root).list().map((volume) => ({ volume, size: diskUsage(volume.mountpoint), refCount: VolumeStore.users(volume.name, records).length })),
  };
}
