/** The volumes of the store, and every container record (a volume is in use while one names it): what `volume` commands work on. */
import type { ContainerRecord } from '../engine/container-table.js';
import { VolumeStore } from '../engine/volumes.js';
import { withEngine } from './engine-context.js';

export function withVolumes<T>(fn: (volumes: VolumeStore, containers: ContainerRecord[]) => T): Promise<T> {
  return withEngine((e) => fn(new VolumeStore(e.store.root, e.store.events.recorder, e.store.removeTree), e.containers.all()));
}
