/**
 * `commit`, `diff` and `history`: a container's changes as a new image, as
 * Docker's A/C/D list, and an image's history with its layers' sizes.
 *
 * commit takes the container's own config (commitConfig), applies --change
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
import { mergeEnv } from '../engine/container-config.js';
import { namespaceOf } from '../engine/container-files.js';
import { applyConfigStep, envMap, type RunConfig } from './config-steps.js';
import { withLayerTar } from './container-steps.js';
import { parseDockerfile } from './dockerfile.js';
import { type Change, listChanges } from './layer-diff.js';
import { buildPlan } from './plan.js';
import { layerRunner, rootlessContainerChanges, withRootlessLayerTar } from './rootless-layer.js';

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

/**
 * The config a commit gives the image, as Docker's commit merges it: USER
 * (the request's config with the --change instructions applied) over
 * CONTAINER (the container's own config). Env, Labels, ExposedPorts and
 * Volumes are merged (USER's win); an Entrypoint of USER's comes with its
 * Cmd only (none: no Cmd); otherwise USER's Cmd, or the container's; the
 * other fields are USER's when set. Pure.
 */
export function commitConfig(container: RunConfig, user: RunConfig): RunConfig {
  const out: RunConfig = { ...container, ...Object.fromEntries(Object.entries(user).filter(([, v]) => v !== undefined && v !== null && v !== '')) };
  if (user.Env?.length) out.Env = mergeEnv(container.Env ?? [], user.Env);
  else if (container.Env) out.Env = container.Env;
  for (const k of ['Labels', 'ExposedPorts', 'Volumes'] as const) {
    if (container[k] || user[k]) out[k] = { ...(container[k] ?? {}), ...(user[k] ?? {}) } as never;
  }
  if (user.Entrypoint?.length) {
    out.Entrypoint = user.Entrypoint;
    out.Cmd = user.Cmd?.length ? user.Cmd : null;
  } else {
    out.Cmd = user.Cmd?.length ? user.Cmd : (container.Cmd ?? null);
    // an empty Entrypoint asked for clears the container's
    out.Entrypoint = Array.isArray(user.Entrypoint) ? null : (container.Entrypoint ?? null);
  }
  return out;
}

export interface CommitOptions {
  reference?: string;
  message?: string;
  author?: string;
  changes: readonly string[];
  pause: boolean;
  /** the Engine API's body: config fields over the container's */
  config?: RunConfig;
  /** how the container's layer becomes a tar file for FN (default: written from its upper dir here; an ordinary user's engine's in its user namespace: rootless-layer.ts) */
  layerTar?: <T>(id: string, layers: readonly string[], fn: (tar: string) => Promise<T>) => Promise<T>;
}

/**
 * `commit`: container REF's changes as a new image; its ID. The image's
 * config is the container's own (its Cmd, Entrypoint, Env, ... as it was
 * created; for a record made before the engine kept it, its image's), with
 * the request's config and --change on top (commitConfig).
 */
export async function commitContainer(engine: Engine, ref: string, opts: CommitOptions): Promise<string> {
  const tag = opts.reference === undefined ? undefined : referenceString(withDefaultTag(parseNormalizedReference(opts.reference)));
  const v = engine.inspect(ref);
  const r = v.record;
  if (!r.imageId) throw new MobyDickError('USAGE', `container ${r.name} has no image to commit onto`, { container: ref });
  const parent = r.imageId;
  const base = engine.store.imageConfig(parent) as unknown as ImageConfigDoc;
  const own: RunConfig = (r.config as RunConfig | undefined) ?? { ...((base.config as RunConfig | undefined) ?? {}) };
  const config = commitConfig(own, await applyChanges({ ...(opts.config ?? {}) }, opts.changes));
  const pause = opts.pause && v.state.Running && !v.state.Paused;
  if (pause) {
    try {
      engine.pause(r.id, true);
    } catch (e) {
      if (!v.rootless || !(e instanceof MobyDickError)) throw e;
      // the engine's refusal (no delegated cgroup to freeze) said shortly, or what the runtime said
      const why = e.code === 'NOT_ROOT' ? 'no cgroup v2 subtree is delegated to this user' : e.message;
      throw new MobyDickError('USAGE', `cannot pause container ${r.name} to commit it (rootless: ${why})`, { container: ref, hint: 'commit with --pause=false, or stop the container first' });
    }
  }
  const ns = namespaceOf(engine);
  const layerTar =
    opts.layerTar ??
    (<T>(id: string, layers: readonly string[], fn: (tar: string) => Promise<T>) => (ns ? withRootlessLayerTar(engine, id, layers, layerRunner(ns), fn) : withLayerTar(engine, id, layers, fn)));
  try {
    return await layerTar(r.id, r.layers, async (tar) => {
      const created = new Date().toISOString();
      const { rootfs: _r, ...doc } = base;
      // Docker's created_by: the container's Cmd
      const createdBy = (r.config ? (r.config.Cmd ?? []) : r.engine.argv).join(' ');
      const history = { created, created_by: createdBy, ...(opts.message ? { comment: opts.message } : {}), ...(opts.author ? { author: opts.author } : {}) };
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

/** `diff`: container REF's changes, A/C/D (an ordinary user's engine's read in its user namespace: rootless-layer.ts) */
export async function containerChanges(engine: Engine, ref: string): Promise<Change[]> {
  const ns = namespaceOf(engine);
  if (ns) return rootlessContainerChanges(engine, ref, layerRunner(ns));
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
