/**
 * `diff` and `commit` of an ordinary user's container (rootless). Its
 * writable layer (the overlay's upper dir) holds files of the user's
 * subordinate ids, some of which the user alone may not read; seen from
 * the user's user namespace they have their in-namespace owners again
 * (range id -> id inside, the user -> 0). So the upper dir is walked by the
 * hidden `rootless-layer`, run as root of that namespace, which prints the
 * A/C/D list or writes the layer tar (layer-diff.ts, which turns the
 * userxattr overlay's user.overlay.opaque into the tar's opaque whiteout);
 * the layer is then unpacked into the user's store like any pulled one
 * (jail/rootless-store.ts), its owners shifted into the range again.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { nativeAddon } from '../helper/native-addon.js';
import { imageHasPath } from '../images/image-files.js';
import { TarWriter } from '../images/tar/tar-writer.js';
import type { LayerSyscalls } from '../helper/layer-syscalls.js';
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import { type Change, type DiffSyscalls, type KeepOut, listChanges, writeLayerDiff } from './layer-diff.js';

/** What `rootless-layer` is asked (its one argument, as JSON): the upper dir and the image's layers (topmost first) */
export interface LayerRequest {
  op: 'list' | 'tar';
  upper: string;
  layers: string[];
}

/** Runs `rootless-layer REQUEST` as root of the user's user namespace, its stdout to OUT (not ended). */
export type RunLayerInNamespace = (request: LayerRequest, out: Writable) => Promise<{ code: number; stderr: string }>;

/** `rootless-layer REQUEST` through an ordinary user's engine's hidden commands (EngineOptions.namespace) */
export function layerRunner(ns: NamespaceCommands): RunLayerInNamespace {
  return (req, out) => ns.stream(['rootless-layer', JSON.stringify(req)], out);
}

/** In the namespace: the empty mount points the image lacks stay out, looked up through the store's user.* opaque xattr */
function keepOut(layers: readonly string[], sys: LayerSyscalls): KeepOut {
  return (rel, empty) => empty && !imageHasPath(layers, rel, sys, true);
}

/** The hidden command's work: the changes as JSON, or the layer tar, on OUT. */
export async function layerInNamespace(req: LayerRequest, out: Writable, sys: LayerSyscalls & DiffSyscalls = nativeAddon()): Promise<void> {
  if (req.op === 'list') {
    const changes = await listChanges(req.upper, (rel) => imageHasPath(req.layers, rel, sys, true), keepOut(req.layers, sys), sys);
    out.write(`${JSON.stringify(changes)}\n`);
    return;
  }
  const w = new TarWriter(out);
  await writeLayerDiff(w, req.upper, keepOut(req.layers, sys), {}, sys);
  await w.finish();
}

function failed(r: { code: number; stderr: string }, ref: string, what: string): MobyDickError {
  const lines = r.stderr.trim().split('\n').filter((l) => l && !l.startsWith('moby-dick: warning: '));
  return new MobyDickError('BUILD', `${what} ${ref}: ${(lines[lines.length - 1] ?? `exit ${r.code}`).replace(/^moby-dick: /, '')}`, { container: ref, step: `${what} (rootless)` });
}

/** `diff` of an ordinary user's container REF. */
export async function rootlessContainerChanges(engine: Engine, ref: string, run: RunLayerInNamespace): Promise<Change[]> {
  const v = engine.inspect(ref);
  const parts: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (b: Buffer) => parts.push(b));
  const r = await run({ op: 'list', upper: v.paths.upper, layers: [...v.record.layers] }, out);
  if (r.code !== 0) throw failed(r, ref, 'diff');
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as Change[];
}

/**
 * The layer of an ordinary user's container ID (its upper dir, the image's
 * LAYERS) as a tar file in the user's temp directory, for FN; removed after.
 */
export async function withRootlessLayerTar<T>(engine: Engine, id: string, layers: readonly string[], run: RunLayerInNamespace, fn: (tar: string) => Promise<T>): Promise<T> {
  const path = join(tmpdir(), `moby-dick-layer-${randomBytes(8).toString('hex')}.tar`);
  try {
    const file = createWriteStream(path, { mode: 0o600 });
    try {
      const r = await run({ op: 'tar', upper: engine.paths(id).upper, layers: [...layers] }, file);
      if (r.code !== 0) throw failed(r, id, 'commit');
      file.end();
      await finished(file);
    } catch (e) {
      file.destroy();
      throw e;
    }
    return await fn(path);
  } finally {
    rmSync(path, { force: true });
  }
}
