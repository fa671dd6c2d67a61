/**
 * The half of an ordinary user's build step (rootless-steps.ts) done as
 * root of the user's user namespace by the hidden `rootless-build-step`,
 * where the files of the user's subordinate ids show their in-namespace
 * owners and may be read, written and given those owners:
 *
 * - fill: the step container's overlay (stopped; its layers and upper dir,
 *   mounted here with `userxattr`) is looked up for what the step asks
 *   (one JSON line of kinds: the COPY's destination and the directories
 *   above it, a WORKDIR's directories), then the tar on stdin, written by
 *   the user's process from the user's own build context, is extracted at
 *   "/" with the owners it names (root inside unless --chown);
 * - digest: COPY --from's sources in a stage's or image's layers (a
 *   read-only overlay mounted here), their content digest as one JSON line
 *   (the cache key), since the user alone may not read them all;
 * - copy-from: those sources copied into the step container's overlay with
 *   their in-namespace owners (or --chown's), as the root builder copies
 *   them.
 *
 * With layerTar, fill and copy-from then write the step's layer (its upper
 * dir's changes, rootless-layer.ts) to stdout, after fill's line: the same
 * process, not another `rootless-layer`.
 *
 * Every path under the step's root is resolved with
 * openat2(RESOLVE_IN_ROOT) (archive-fs.ts, as for root): a symlink a RUN
 * made there cannot lead the copy out of the root.
 */
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { extractTree, extractTreeEntries } from '../engine/archive-fs.js';
import { mountContainerOverlay, type OverlayParts } from '../engine/container-fs.js';
import type { EngineSyscalls } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import { addSources, type CopyPlan, kindsIn } from './copy.js';
import { layerInNamespace } from './rootless-layer.js';
import { findSources, type SourceSyscalls, sourcesDigest } from './sources.js';

/** A COPY --from's plan as sent to the namespace (the sources are found there) */
export interface CopyFromPlan {
  kind: 'COPY' | 'ADD';
  patterns: string[];
  heredocs: { name: string; body: string }[];
  dest: string;
  /** a pattern has a wildcard: the destination must be a directory */
  wildcard: boolean;
  owner?: { uid: number; gid: number };
  chmod?: number;
}

/** What `rootless-build-step` is asked (its one argument, as JSON) */
export type StepRequest =
  | { op: 'fill'; target: OverlayParts; lookups: string[]; label: string; layerTar?: boolean }
  | { op: 'digest'; source: string[]; sourceLabel: string; patterns: string[] }
  | { op: 'copy-from'; target: OverlayParts; source: string[]; sourceLabel: string; label: string; plan: CopyFromPlan; layerTar?: boolean };

export type StepSyscalls = Pick<EngineSyscalls, 'mountOverlay' | 'attachBind'> & Pick<NativeAddon, 'openInRoot' | 'lstatAt' | 'readlinkAt'> & SourceSyscalls;

const fail = (m: string) => new MobyDickError('BUILD', m);

/** LAYERS (topmost first) of a stage or image as one read-only root path for FN */
async function withSource<T>(layers: readonly string[], sys: StepSyscalls, fn: (path: string) => Promise<T>): Promise<T> {
  if (layers.length === 0) {
    const empty = mkdtempSync(join(tmpdir(), 'moby-dick-empty-'));
    try {
      return await fn(empty);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }
  if (layers.length === 1) return fn(layers[0]!);
  const fd = sys.mountOverlay(
    layers.map((l) => Buffer.from(l)),
    null,
    null,
    false,
    true,
  );
  try {
    return await fn(`/proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

/** the step container's overlay, writable, for FN */
async function withTarget<T>(target: OverlayParts, sys: StepSyscalls, fn: (root: number) => Promise<T>): Promise<T> {
  const root = mountContainerOverlay(sys, target, true, false, true);
  try {
    return await fn(root);
  } finally {
    closeSync(root);
  }
}

/** The hidden command's work (see above): INPUT its stdin, OUT its stdout. */
export async function stepInNamespace(req: StepRequest, input: Readable, out: Writable, sys: StepSyscalls = nativeAddon()): Promise<void> {
  if (req.op === 'fill') {
    await withTarget(req.target, sys, async (root) => {
      const kindOf = kindsIn(root, sys);
      out.write(`${JSON.stringify(req.lookups.map((p) => kindOf(p)))}\n`);
      await extractTree(input, root, { into: '/', label: req.label }, sys);
    });
    if (req.layerTar) await layerInNamespace({ op: 'tar', upper: req.target.upper, layers: req.target.layers }, out);
    return;
  }
  if (req.op === 'digest') {
    await withSource(req.source, sys, async (path) => {
      const sources = findSources({ path, label: req.sourceLabel, strict: false }, req.patterns, fail, sys);
      out.write(`${JSON.stringify({ digest: sourcesDigest(sources) })}\n`);
    });
    return;
  }
  const p = req.plan;
  await withSource(req.source, sys, (path) =>
    withTarget(req.target, sys, async (root) => {
      const sources = findSources({ path, label: req.sourceLabel, strict: false }, p.patterns, fail, sys);
      const plan: CopyPlan = {
        kind: p.kind,
        sources,
        downloads: [],
        heredocs: p.heredocs,
        dest: p.dest,
        multiple: sources.length + p.heredocs.length > 1 || p.wildcard,
        ...(p.owner ? { owner: p.owner } : {}),
        ...(p.chmod !== undefined ? { chmod: p.chmod } : {}),
        fail,
      };
      await extractTreeEntries((w) => addSources(w, root, plan, sys), root, { into: '/', label: req.label }, sys);
    }),
  );
  if (req.layerTar) await layerInNamespace({ op: 'tar', upper: req.target.upper, layers: req.target.layers }, out);
}

