/**
 * `commit`, `diff` and `history`: a container's changes as a new image, as
 * Docker's A/C/D list, and an image's history with its layers' sizes.
 *
 * commit takes the container's image config, applies --change
 * instructions (Docker's list: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
 * ONBUILD, USER, VOLUME, WORKDIR; STOPSIGNAL and HEALTHCHECK too), and
 * adds the container's changes (its overlay's upper dir, layer-diff.ts) as
 * one layer with a history entry (created_by: the container's command,
 * comment: -m, author: -a). A running container is paused meanwhile,
 * unless told not to.
 */
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { commitImage, type ImageConfigDoc } from '../images/commit.js';
import { imageHasPath } from '../images/image-files.js';
import { getImage } from '../images/lookup.js';
import { parseNormalizedReference, referenceString, withDefaultTag } from '../images/reference.js';
import { applyConfigStep, envMap, type RunConfig } from './config-steps.js';
import { withLayerTar } from './container-steps.js';
import { parseDockerfile } from './dockerfile.js';
import { type Change, listChanges } from './layer-diff.js';
import { buildPlan } from './plan.js';

const CHANGES = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL', 'HEALTHCHECK']);

/** CONFIG with the --change instructions CHANGES applied */
export async function applyChanges(config: RunConfig, changes: readonly string[]): Promise<RunConfig> {
  if (changes.length === 0) return config;
  const text = `FROM scratch\n${changes.join('\n')}\n`;
  const plan = buildPlan(await parseDockerfile(text), { file: '--change', buildArgs: new Map() });
  let c = config;
  for (const step of plan.stages[0]!.steps) {
    if (!CHANGES.has(step.kind)) {
      throw new MobyDickError('USAGE', `${step.kind} is not a valid change command`, { subject: step.source, hint: `--change takes ${[...CHANGES].join(', ')}` });
    }
    c = applyConfigStep(c, step, envMap(c.Env), '\\').config;
  }
  return c;
}

export interface CommitOptions {
  reference?: string;
  message?: string;
  author?: string;
  changes: readonly string[];
  pause: boolean;
}

/** `commit`: container REF's changes as a new image; its ID. */
export async function commitContainer(engine: Engine, ref: string, opts: CommitOptions): Promise<string> {
  const tag = opts.reference === undefined ? undefined : referenceString(withDefaultTag(parseNormalizedReference(opts.reference)));
  const v = engine.inspect(ref);
  const r = v.record;
  if (!r.imageId) throw new MobyDickError('USAGE', `container ${r.name} has no image to commit onto`, { container: ref });
  const parent = r.imageId;
  const base = engine.store.imageConfig(parent) as unknown as ImageConfigDoc;
  const config = await applyChanges({ ...((base.config as RunConfig | undefined) ?? {}) }, opts.changes);
  const pause = opts.pause && v.state.Running && !v.state.Paused;
  if (pause) engine.pause(r.id, true);
  try {
    return await withLayerTar(engine, r.id, r.layers, async (tar) => {
      const created = new Date().toISOString();
      const { rootfs: _r, ...doc } = base;
      const history = { created, created_by: r.engine.argv.join(' '), ...(opts.message ? { comment: opts.message } : {}), ...(opts.author ? { author: opts.author } : {}) };
      const res = await commitImage(engine.store, {
        parent,
        config: { ...doc, created, config, history: [...(base.history ?? []), history], ...(opts.author ? { author: opts.author } : {}), ...(opts.message ? { comment: opts.message } : {}) },
        layerTar: tar,
        ...(tag ? { tags: [tag] } : {}),
      });
      return res.id;
    });
  } finally {
    if (pause) engine.pause(r.id, false);
  }
}

/** `diff`: container REF's changes, A/C/D */
export async function containerChanges(engine: Engine, ref: string): Promise<Change[]> {
  const v = engine.inspect(ref);
  const layers = v.record.layers;
  return listChanges(v.paths.upper, (rel) => imageHasPath(layers, rel), (rel, empty) => empty && !imageHasPath(layers, rel));
}

export interface HistoryRow {
  /** the image's ID on its top row, its parent's on the next, and so on (a build's step images), else <missing> */
  id: string;
  created: string | undefined;
  createdBy: string;
  size: number;
  comment: string;
}

/** `history`: image REF's history, newest first, with the size of each entry's layer. */
export function imageHistory(engine: Engine, ref: string): HistoryRow[] {
  const { image } = getImage(engine.store, ref);
  const config = engine.store.imageConfig(image.id) as unknown as ImageConfigDoc;
  const sizes = image.layers.map((c) => engine.store.layer(c)?.size ?? 0);
  const entries = config.history?.length ? config.history : config.rootfs.diff_ids.map(() => ({}) as NonNullable<ImageConfigDoc['history']>[number]);
  let layer = 0;
  const rows = entries.map((h) => {
    const size = h.empty_layer ? 0 : (sizes[layer++] ?? 0);
    return { id: '<missing>', created: h.created, createdBy: h.created_by ?? '', size, comment: h.comment ?? '' };
  });
  rows.reverse();
  // the IDs along the parent chain, from the top (a build's step images), as Docker fills them in
  let id: string | undefined = image.id;
  for (const row of rows) {
    if (id === undefined || !engine.store.image(id)) break;
    row.id = id;
    id = engine.store.parentOf(id);
  }
  return rows;
}
