/**
 * `system df`'s tables from the engine's disk usage (engine/disk-usage.ts),
 * as the docker CLI computes them: the summary's TOTAL, ACTIVE, SIZE and
 * RECLAIMABLE per type, and -v's rows of images, containers and volumes.
 */
import type { DiskUsage } from '../engine/disk-usage.js';
import { statusText } from '../engine/status.js';
import { shortId } from '../images/digest.js';
import { familiarName, parseNormalizedReference } from '../images/reference.js';
import { humanDuration, humanSize } from '../util/human-units.js';

export interface DfRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/** "4.26MB (70%)" as Docker: the percentage of the total, none when the total is 0. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes, 4)} (${Math.floor((bytes * 100) / total)}%)` : humanSize(bytes, 4);
}

const activeState = (s: string): boolean => s === 'running' || s === 'paused' || s === 'restarting';

/** The summary's rows: Images, Containers, Local Volumes, Build Cache. */
export function dfSummary(u: DiskUsage): DfRow[] {
  const usedImages = u.images.filter((i) => i.containers > 0);
  const usedBytes = usedImages.reduce((n, i) => n + i.image.size - i.sharedSize, 0);
  const containersSize = u.containers.reduce((n, c) => n + c.sizeRw, 0);
  const activeContainers = u.containers.filter((c) => activeState(c.view.state.Status));
  const idleContainersSize = u.containers.filter((c) => !activeState(c.view.state.Status)).reduce((n, c) => n + c.sizeRw, 0);
  const volumesSize = u.volumes.reduce((n, v) => n + v.size, 0);
  const unusedVolumesSize = u.volumes.filter((v) => v.refCount === 0).reduce((n, v) => n + v.size, 0);
  return [
    { Type: 'Images', TotalCount: String(u.images.length), Active: String(usedImages.length), Size: humanSize(u.layersSize, 4), Reclaimable: reclaimable(Math.max(0, u.layersSize - usedBytes), u.layersSize) },
    { Type: 'Containers', TotalCount: String(u.containers.length), Active: String(activeContainers.length), Size: humanSize(containersSize, 4), Reclaimable: reclaimable(idleContainersSize, containersSize) },
    { Type: 'Local Volumes', TotalCount: String(u.volumes.length), Active: String(u.volumes.filter((v) => v.refCount > 0).length), Size: humanSize(volumesSize, 4), Reclaimable: reclaimable(unusedVolumesSize, volumesSize) },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
}


/** -v's image rows: one per tag (<none> without one), with the bytes shared with other images and its own. */
export function dfImageRows(u: DiskUsage, now: number): string[][] {
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS']];
  for (const { image, containers, sharedSize } of u.images) {
    const created = image.created ? `${humanDuration(now - Date.parse(image.created))} ago` : 'N/A';
    const rest = [shortId(image.id), created, humanSize(image.size), humanSize(sharedSize), humanSize(image.size - sharedSize), String(containers)];
    const tags = image.tags.map((t) => parseNormalizedReference(t));
    if (tags.length === 0) rows.push(['<none>', '<none>', ...rest]);
    for (const r of tags) rows.push([familiarName(r), r.tag ?? '<none>', ...rest]);
  }
  return rows;
}

/** -v's container rows: the command as `ps` quotes it, the number of volumes, the writable layer's size. */
export function dfContainerRows(u: DiskUsage, now: number): string[][] {
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES']];
  for (const { view: v, sizeRw } of u.containers) {
    const r = v.record;
    const cmd = r.engine.argv.join(' ');
    rows.push([
      r.id.slice(0, 12),
      r.image,
      `"${cmd.length <= 20 ? cmd : `${cmd.slice(0, 19)}…`}"`,
      String(Object.keys(r.volumes).length),
      humanSize(sizeRw),
      `${humanDuration(now - Date.parse(r.created))} ago`,
      statusText(v.state, r.state.startedAt, now),
      r.name,
    ]);
  }
  return rows;
}

export function dfVolumeRows(u: DiskUsage): string[][] {
  return [['VOLUME NAME', 'LINKS', 'SIZE'], ...u.volumes.map((v) => [v.volume.name, String(v.refCount), humanSize(v.size)])];
}
