/**
 * `moby-dick build`: a Dockerfile's plan (plan.ts) carried out step by step,
 * as Docker's classic builder does, through the Engine and the store:
 *
 * - each stage starts from its FROM image (pulled when missing), another
 *   stage's result, or nothing (scratch), and runs its base image's ONBUILD
 *   triggers first;
 * - each step makes an image in the store: a RUN, COPY or ADD (and a
 *   WORKDIR whose directory is missing) one with a new layer, the others
 *   one with a new config and an empty_layer history entry. A RUN's (and
 *   an ADD's) layer is its container's changes (container-steps.ts); a
 *   COPY's and a WORKDIR's is written as a tar straight from what they add
 *   (added-layer.ts), with no container, unless the image's files make that
 *   differ (a symlink on the way): then they take a container too;
 * - the layer cache (cache.ts) maps each step's key to that image, so an
 *   unchanged step is taken as it was (CACHED) and a changed one, and every
 *   step after it, runs again;
 * - the stages a --target does not need are skipped; the target's image is
 *   tagged with every -t name, --label added to it;
 * - stages that do not depend on each other (FROM <stage>, COPY --from) are
 *   built at the same time, as BuildKit builds them; each starts once those
 *   it needs are done, and the progress tells their lines apart by step
 *   number. When one fails, the others stop before their next step;
 * - cancel() (the CLI's SIGINT/SIGTERM) stops the build the same way and
 *   kills the RUN containers that are running, so each step's own cleanup
 *   removes its container and mounts and registers nothing.
 *
 * A step that fails stops the build with one error naming its Dockerfile
 * line (and a RUN's exit code); its container is gone and it registered
 * nothing; the steps before it stay in the cache, as Docker keeps them.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { locate, type LocateSyscalls } from '../engine/archive-fs.js';
import { commitImage, type HistoryEntry, type ImageConfigDoc } from '../images/commit.js';
import { imageHasPath, readImageFile } from '../images/image-files.js';
import { findImage } from '../images/lookup.js';
import type { ImageConfig } from '../images/manifest.js';
import type { ImageStore } from '../images/store/image-store.js';
import { hostPlatform } from '../images/platform.js';
import { pullImage } from '../images/pull.js';
import type { Credentials } from '../images/registry/docker-config.js';
import { parseNormalizedReference, referenceString, withDefaultTag } from '../images/reference.js';
import { resolveUser } from '../images/user-lookup.js';
import type { LayerSyscalls } from '../helper/layer-syscalls.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import type { EntryWriter } from '../images/tar/tar-writer.js';
import { AddedLayerConflict, withAddedLayer } from './added-layer.js';
import { addSources, addSourcesByKind, copyLookups, type CopyPlan, type Download, type KindOf } from './copy.js';
import { BuildCache, cacheKey, copyLayerKey } from './cache.js';
import { chainIds } from '../images/digest.js';
import { DeferredRemoval } from './deferred-removal.js';
import { DigestMemo } from './digest-memo.js';
import { namespaceOf } from '../engine/container-files.js';
import { userName, userNamespaceMaps } from '../rootless/rootless.js';
import { checkChownMapped, removeInNamespace, RootlessSteps } from './rootless-steps.js';
import { applyConfigStep, DEFAULT_SHELL, envMap, isConfigStep, type RunConfig } from './config-steps.js';
import { copyIntoRoot, runAttached, withBuildContainer, withLayerTar } from './container-steps.js';
import type { IgnoreRules } from './dockerignore.js';
import { lineError, parseDockerfile, parserIdentity } from './dockerfile.js';
import { ParseMemo } from './parse-memo.js';
import { buildPlan, type BuildPlan, type Stage, type Step } from './plan.js';
import type { BuildReporter } from './progress.js';
import { findSources, type Source, type SourceRoot, type SourceTrees, sourcesDigest } from './sources.js';
import { expandPairs, expandWord } from './words.js';

export interface BuildOptions {
  /** the build context's directory */
  context: string;
  ignore: IgnoreRules;
  dockerfile: { text: string; name: string };
  tags: readonly string[];
  buildArgs: ReadonlyMap<string, string>;
  target?: string;
  noCache: boolean;
  /** pull base images even when the store has them */
  pull?: boolean;
  labels: Readonly<Record<string, string>>;
  /** RUN's network: bridge (default), host, none, or a network's name */
  network: string;
  progress: BuildReporter;
  /** the login for a base image's registry (the Engine API's X-Registry-Config); the stored ones without */
  credentials?: (domain: string) => Credentials | undefined;
  /**
   * where the context's copied trees are kept from one build to the next
   * (tree-memo.ts; sources.ts's processTreeMemo() for a context that stays where it is,
   * a user's directory); none for a context made for this build alone
   */
  trees?: SourceTrees;
}

export interface BuildResult {
  id: string;
  /** full names it was tagged with */
  tags: string[];
}

/**
 * The addon's calls the builder makes (the addon by default; a test gives
 * its own): an image's layers as one read-only overlay (COPY --from, and
 * the image under a COPY's layer) and its paths looked up, a copied
 * directory's listing (and, statDirs, whether it is still as listed), and
 * reading the image's files (--chown's users, WORKDIR's directory).
 */
export type BuildSyscalls = Pick<NativeAddon, 'mountOverlay' | 'statDir' | 'statDirs' | 'lstatAt' | 'readlinkAt'> & LayerSyscalls;

/** A stage as it goes: the image its last step made and that image's config. */
interface State {
  image: string | undefined;
  doc: Omit<ImageConfigDoc, 'rootfs'>;
  /** the stage's ARGs: name to value (undefined: declared without one) */
  args: Map<string, string | undefined>;
  /** CMD was set in this stage (a later ENTRYPOINT keeps it) */
  cmdSet: boolean;
}

/** the names as full references, checked before anything is built */
function fullNames(tags: readonly string[]): string[] {
  return tags.map((t) => {
    const ref = withDefaultTag(parseNormalizedReference(t));
    if (ref.digest) throw new MobyDickError('USAGE', `invalid reference format: ${t}: a tag cannot have a digest`, { subject: t });
    return referenceString(ref);
  });
}

export class Builder {
  private readonly cache: BuildCache;
  private readonly results = new Map<number, State>();
  /** the first failure, or the cancellation: the stages still running stop at their next step */
  private stopped: MobyDickError | undefined;
  /** the containers of the RUN steps running now (cancel kills them) */
  private readonly running = new Set<string>();
  private plan!: BuildPlan;
  /** build args given and used, for the warning about the others */
  private readonly usedArgs = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly opts: BuildOptions,
    private readonly sys: BuildSyscalls = nativeAddon(),
  ) {
    this.cache = new BuildCache(engine.store);
    // an ordinary user's engine: its hidden commands in the user namespace (engine/container-files.ts)
    const ns = namespaceOf(engine);
    this.rootless = ns ? new RootlessSteps(engine, ns) : undefined;
    this.removal = new DeferredRemoval(engine.store.layerDirs.tmpDir, ns ? removeInNamespace : undefined);
  }

  /** an ordinary user's build: the steps' files are read and written in the user namespace */
  private readonly rootless: RootlessSteps | undefined;

  /** the step containers' overlay dirs, deleted in the background (waited for when the build ends) */
  private readonly removal: DeferredRemoval;

  private get store() {
    return this.engine.store;
  }

  private get progress() {
    return this.opts.progress;
  }

  private fail(step: { line: number }, message: string, hint?: string, status?: number): MobyDickError {
    return lineError(this.opts.dockerfile.name, step.line, message, hint, status);
  }

  async build(): Promise<BuildResult> {
    const tags = fullNames(this.opts.tags);
    const load = this.progress.begin(`[internal] load build definition from ${this.opts.dockerfile.name}`);
    const parsed = await this.parseMemo().parse(this.opts.dockerfile.text, parseDockerfile);
    this.plan = buildPlan(parsed, { file: this.opts.dockerfile.name, buildArgs: this.opts.buildArgs, ...(this.opts.target !== undefined ? { target: this.opts.target } : {}) });
    this.progress.done(load);
    this.progress.planned?.(this.plan.order.reduce((n, i) => n + this.plan.stages[i]!.steps.length + 1, 0));
    if (parsed.syntax) this.progress.warn(`the syntax directive (${parsed.syntax}) is ignored: moby-dick has one Dockerfile frontend`);
    for (const k of this.plan.metaArgs.keys()) this.usedArgs.add(k);
    // the step containers come one after another: their parent cgroup is made once for the build
    const releaseParents = this.engine.holdCgroupParents();
    try {
      await this.buildStages();
    } finally {
      releaseParents();
      this.memo?.save();
      this.parses?.save();
      const left = await this.removal.settle();
      if (left) this.progress.warn(`${left} step container director${left === 1 ? 'y' : 'ies'} could not be deleted: the next pull, load or rmi removes them with the store's other temp files`);
    }
    if (this.stopped) throw this.stopped;
    const last = this.results.get(this.plan.order[this.plan.order.length - 1]!)!;
    const unused = [...this.opts.buildArgs.keys()].filter((k) => !this.usedArgs.has(k));
    if (unused.length) this.progress.warn(`one or more build-args [${unused.join(' ')}] were not consumed`);
    const out = this.progress.begin('exporting to image');
    let id = last.image;
    if (id === undefined || Object.keys(this.opts.labels).length) {
      // cached as a step is: an unchanged rebuild with the same --label gives the same image, as Docker's
      const key = cacheKey(last.image, `build labels ${JSON.stringify(Object.entries(this.opts.labels).sort())}`);
      const hit = this.opts.noCache ? undefined : this.cache.get(key);
      if (hit) id = hit;
      else {
        const config = { ...((last.doc.config as RunConfig | undefined) ?? {}) };
        if (Object.keys(this.opts.labels).length) config.Labels = { ...(config.Labels ?? {}), ...this.opts.labels };
        id = (await commitImage(this.store, { parent: last.image, config: { ...last.doc, config, created: new Date().toISOString() } })).id;
        this.cache.put(key, id);
      }
    }
    this.cache.markResult(id);
    this.progress.note(out, `writing image ${id} done`);
    for (const t of tags) {
      this.store.tag(id, t);
      this.progress.note(out, `naming to ${t} done`);
    }
    this.progress.done(out);
    return { id, tags };
  }

  /**
   * Every stage of the plan's order, each as soon as the stages it needs are
   * built. On the first failure the others stop at their next step; the
   * build waits for all of them (so that every step has cleaned up) and
   * throws that failure.
   */
  private async buildStages(): Promise<void> {
    const started = new Map<number, Promise<void>>();
    const start = (i: number): Promise<void> => {
      let p = started.get(i);
      if (p) return p;
      const stage = this.plan.stages[i]!;
      p = (async () => {
        const deps = await Promise.allSettled(stage.deps.map(start));
        if (deps.some((d) => d.status === 'rejected')) return; // the failure is a dep's own
        if (this.stopped) throw this.stopped;
        this.results.set(i, await this.buildStage(stage));
      })();
      p.catch((e: unknown) => {
        this.stopped ??= e instanceof MobyDickError ? e : new MobyDickError('BUILD', (e as Error).message);
        if (!(e instanceof MobyDickError)) this.firstBug ??= e;
      });
      started.set(i, p);
      return p;
    };
    const settled = await Promise.allSettled(this.plan.order.map(start));
    if (this.firstBug !== undefined) throw this.firstBug;
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason === this.stopped);
    if (failed) throw failed.reason;
    if (settled.some((r) => r.status === 'rejected')) throw this.stopped;
  }

  /** an error that is not a MobyDickError (a bug), thrown as it is */
  private firstBug: unknown;

  /** throws when the build was stopped (a failure elsewhere, or cancel) */
  private checkStopped(): void {
    if (this.stopped) throw new StoppedError(this.stopped);
  }

  /**
   * Stops the build (SIGNAL, e.g. SIGINT, names why): no step starts after
   * this, the RUN containers running now are killed (again every 100 ms
   * until their steps have ended: one may be starting just now), and
   * build() then rejects with the cancellation once every step cleaned up.
   */
  cancel(signal: string): void {
    if (this.stopped instanceof CanceledError) return;
    this.stopped = new CanceledError(signal);
    const killAll = (): void => {
      for (const id of this.running) {
        try {
          this.engine.kill(id, 'SIGKILL');
        } catch {
          // not running yet, or ended: the next round or the step's end sees to it
        }
      }
    };
    killAll();
    const timer = setInterval(() => {
      if (this.running.size === 0) clearInterval(timer);
      else killAll();
    }, 100);
  }

  private stageName(s: Stage): string {
    return s.name ?? `stage-${s.index}`;
  }

  private memo: DigestMemo | undefined;
  private parses: ParseMemo | undefined;

  /** the memo of parsed Dockerfiles (an unchanged one is not parsed again), written when the build ends */
  private parseMemo(): ParseMemo {
    return (this.parses ??= new ParseMemo(join(this.store.root, 'build-parses.json'), parserIdentity()));
  }

  /** the memo of the context's file digests, read when first needed, written when the build ends */
  private digestMemo(): DigestMemo {
    return (this.memo ??= DigestMemo.open(join(this.store.root, 'build-digests.json')));
  }

  /** the image REF, pulled when the store lacks it (once, however many stages ask at once) */
  private readonly pulled = new Map<string, Promise<string>>();

  private image(ref: string): Promise<string> {
    let p = this.pulled.get(ref);
    if (!p) {
      const pull = async (): Promise<string> => {
        const credentials = this.opts.credentials?.(parseNormalizedReference(ref).domain);
        return (await pullImage(this.store, ref, credentials ? { credentials } : {})).imageId;
      };
      const found = this.opts.pull ? undefined : findImage(this.store, ref);
      p = found ? Promise.resolve(found.image.id) : pull();
      this.pulled.set(ref, p);
    }
    return p;
  }

  private baseState(imageId: string | undefined): State {
    if (imageId === undefined) {
      const p = hostPlatform();
      return {
        image: undefined,
        doc: { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), config: { Env: [`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`] }, history: [] },
        args: new Map(),
        cmdSet: false,
      };
    }
    const cfg = imageConfigOf(this.store, imageId);
    const { rootfs: _rootfs, ...doc } = cfg as unknown as ImageConfigDoc;
    return { image: imageId, doc: { ...doc, config: { ...(doc.config ?? {}) }, history: [...(doc.history ?? [])] }, args: new Map(), cmdSet: false };
  }

  private async buildStage(stage: Stage): Promise<State> {
    const total = stage.steps.length + 1;
    const label = (k: number) => `[${this.stageName(stage)} ${k}/${total}]`;
    const fromId = this.progress.begin(`${label(1)} ${stage.from.source}`, stage.from.source);
    let state: State;
    try {
      if (stage.baseStage !== undefined) state = { ...this.results.get(stage.baseStage)!, args: new Map(), cmdSet: false };
      else if (stage.image === undefined || stage.image.toLowerCase() === 'scratch') state = this.baseState(undefined);
      else state = this.baseState(await this.image(stage.image));
    } catch (e) {
      this.progress.error(fromId, (e as Error).message);
      throw this.fail(stage.from, (e as Error).message, (e as MobyDickError).details?.hint);
    }
    this.progress.done(fromId, state.image);
    // the base image's ONBUILD triggers run first, and are not inherited
    const triggers = ((state.doc.config as RunConfig | undefined)?.OnBuild ?? []).filter(Boolean);
    if (triggers.length) {
      state.doc = { ...state.doc, config: { ...(state.doc.config ?? {}), OnBuild: null } };
      const parsed = await parseDockerfile(`FROM scratch\n${triggers.join('\n')}\n`);
      const sub = buildPlan(parsed, { file: `${this.opts.dockerfile.name} (ONBUILD of ${stage.image ?? 'the base stage'})`, buildArgs: this.opts.buildArgs });
      for (const step of sub.stages[0]!.steps) {
        const id = this.progress.begin(`${label(1)} ONBUILD ${step.source}`);
        state = await this.runStep(state, { ...step, line: stage.from.line }, id);
      }
    }
    for (const [k, step] of stage.steps.entries()) {
      const id = this.progress.begin(`${label(k + 2)} ${step.source}`, step.source);
      state = await this.runStep(state, step, id);
    }
    return state;
  }

  /** the variables a step's words see: the stage's ARGs, its ENV over them */
  private vars(state: State): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of state.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of envMap((state.doc.config as RunConfig | undefined)?.Env)) m.set(k, v);
    return m;
  }

  private async runStep(state: State, step: Step, id: number): Promise<State> {
    try {
      this.checkStopped();
      const next = await this.stepBody(state, step, id);
      return next;
    } catch (e) {
      if (e instanceof StoppedError) {
        this.progress.error(id, e.message);
        throw e.reason;
      }
      const err = e as MobyDickError;
      const msg = err.message.startsWith(`${this.opts.dockerfile.name}:`) ? err.message : `${step.source}: ${err.message}`;
      this.progress.error(id, msg);
      if (err.message.startsWith(`${this.opts.dockerfile.name}:`)) throw e;
      throw this.fail(step, msg, err.details?.hint, err.details?.status);
    }
  }

  /** commits a new image after STATE with CONFIG and maybe LAYER (and that layer unpacked, to be moved into the store); caches it under KEY */
  private async commit(state: State, key: string, config: RunConfig, history: HistoryEntry, layerTar?: string, author?: string, layerDir?: string, layerDiffId?: string): Promise<State> {
    const created = new Date().toISOString();
    const doc = { ...state.doc, ...(author !== undefined ? { author } : {}), created, config, history: [...(state.doc.history ?? []), { created, ...history }] };
    const { id } = await commitImage(this.store, { parent: state.image, config: doc, ...(layerTar ? { layerTar } : {}), ...(layerDir ? { layerDir } : {}), ...(layerDiffId ? { layerDiffId } : {}) });
    this.cache.put(key, id);
    return { ...state, image: id, doc };
  }

  /** the diff ID the layer key KEY made before, when the store still has that layer over BASE's and its blob */
  private knownLayer(base: State, key: string): string | undefined {
    const diffId = this.cache.layer(key);
    if (!diffId) return undefined;
    const parents = base.image ? this.store.imageConfig(base.image).rootfs.diff_ids : [];
    const chain = chainIds([...parents, diffId]);
    return this.store.layerDirs.exists(chain[chain.length - 1]!) && this.store.blobForDiff(diffId) ? diffId : undefined;
  }

  private cached(state: State, key: string, id: number): State | undefined {
    if (this.opts.noCache) return undefined;
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    this.progress.cached(id, hit);
    const next = this.baseState(hit);
    return { ...next, args: state.args, cmdSet: state.cmdSet };
  }

  private async stepBody(state: State, step: Step, id: number): Promise<State> {
    const esc = this.plan.escape;
    if (step.kind === 'ARG') {
      const args = new Map(state.args);
      for (const [k, v] of expandPairs(step.text, this.vars(state), esc, true)) {
        const given = this.opts.buildArgs.get(k);
        if (given !== undefined) this.usedArgs.add(k);
        // a meta ARG's value comes in when the stage declares it without one
        args.set(k, given ?? v ?? this.plan.metaArgs.get(k));
      }
      this.progress.done(id, state.image);
      return { ...state, args };
    }
    const config: RunConfig = { ...((state.doc.config as RunConfig | undefined) ?? {}) };
    if (step.kind === 'WORKDIR') return this.workdir(state, step, config, id);
    if (isConfigStep(step)) {
      const r = applyConfigStep(config, step, this.vars(state), esc);
      if (step.kind === 'ENTRYPOINT' && !state.cmdSet) r.config.Cmd = null;
      const key = cacheKey(state.image, r.createdBy, [`author:${r.author ?? ''}`]);
      const hit = this.cached(state, key, id);
      if (hit) return { ...hit, cmdSet: state.cmdSet || step.kind === 'CMD' };
      const next = await this.commit(state, key, r.config, { created_by: r.createdBy, empty_layer: true }, undefined, r.author);
      this.progress.done(id, next.image);
      return { ...next, cmdSet: state.cmdSet || step.kind === 'CMD' };
    }
    if (step.kind === 'RUN') return this.run(state, step, config, id);
    if (step.kind === 'COPY' || step.kind === 'ADD') return this.copy(state, step, config, id);
    throw new Error(`unhandled step ${step.kind}`);
  }

  /** the layers of STATE's image, topmost first */
  private layers(state: State): string[] {
    return state.image ? this.store.layerPaths(state.image).reverse() : [];
  }

  private async ensureImage(state: State): Promise<State> {
    if (state.image) return state;
    // scratch: an image without layers to make containers from
    const created = new Date().toISOString();
    const { id } = await commitImage(this.store, { parent: undefined, config: { ...state.doc, created } });
    return { ...state, image: id };
  }

  private async run(state: State, step: Extract<Step, { kind: 'RUN' }>, config: RunConfig, id: number): Promise<State> {
    const shell = config.Shell ?? DEFAULT_SHELL;
    let argv: string[];
    if (step.command.form === 'exec') argv = step.command.argv;
    else if (step.heredocs.length) {
      const only = /^<<-?(["']?)(\S+)\1$/.exec(step.command.text.trim());
      const doc = step.heredocs[0]!;
      // `RUN <<EOF` alone: the body is the script; otherwise the shell reads the heredocs itself
      argv = only && step.heredocs.length === 1 ? [...shell, doc.body] : [...shell, `${step.command.text}\n${step.heredocs.map((h) => `${h.body}${h.name}`).join('\n')}`];
    } else argv = [...shell, step.command.text];
    // the ARGs in scope reach the command as variables (not the image's Env), ENV over them
    const env = envMap(config.Env);
    const argEnv: string[] = [];
    for (const [k, v] of state.args) {
      if (v === undefined || env.has(k)) continue;
      argEnv.push(`${k}=${v}`);
      if (this.opts.buildArgs.has(k)) this.usedArgs.add(k);
    }
    const createdBy = `${argEnv.length ? `|${argEnv.length} ${argEnv.join(' ')} ` : ''}${argv.join(' ')}`;
    const key = cacheKey(state.image, `RUN ${JSON.stringify(argv)}`, argEnv);
    const hit = this.cached(state, key, id);
    if (hit) return hit;
    const base = await this.ensureImage(state);
    const layers = this.layers(base);
    const next = await withBuildContainer(this.engine, base.image!, argv, { env: argEnv, network: this.opts.network }, async (cid) => {
      this.checkStopped();
      this.progress.container?.(id, cid);
      this.running.add(cid);
      let code: number;
      try {
        code = await runAttached(this.engine, cid, { write: (c) => this.progress.output(id, c) });
      } finally {
        this.running.delete(cid);
      }
      this.checkStopped();
      if (code !== 0) {
        throw new MobyDickError('BUILD', `process "${argv.join(' ').replace(/\n/g, '\\n')}" did not complete successfully: exit code: ${code}`, { hint: 'the output above is the command\'s', status: code });
      }
      const history = { created_by: `RUN ${createdBy} # buildkit`, comment: 'buildkit.dockerfile.v0' };
      if (this.rootless) return this.rootless.layerTar(cid, layers, (tar) => this.commit(base, key, config, history, tar));
      // the upper dir becomes the layer when it is exactly the tar's (not unpacked again)
      return withLayerTar(this.engine, cid, layers, (tar, dir) => this.commit(base, key, config, history, tar, undefined, dir), {
        adoptable: true,
        removal: this.removal,
      });
    }, this.removal);
    this.progress.done(id, next.image);
    return next;
  }

  private async workdir(state: State, step: Step, config: RunConfig, id: number): Promise<State> {
    const r = applyConfigStep(config, step, this.vars(state), this.plan.escape);
    const dir = r.config.WorkingDir!;
    const key = cacheKey(state.image, r.createdBy);
    const hit = this.cached(state, key, id);
    if (hit) return hit;
    const layers = this.layers(state);
    if (dir === '/' || imageHasPath(layers, dir, this.sys, this.rootless !== undefined)) {
      const next = await this.commit(state, key, r.config, { created_by: r.createdBy, empty_layer: true });
      this.progress.done(id, next.image);
      return next;
    }
    // the directory is made (as BuildKit makes it), owned by root, in a layer of its own
    const base = await this.ensureImage(state);
    const history = { created_by: `${r.createdBy} # buildkit`, comment: 'buildkit.dockerfile.v0' };
    const make = async (w: EntryWriter, root: number) => {
      for (const d of missingDirs(root, dir, this.sys)) await w.addDirectory({ name: d, mode: 0o755 });
    };
    const rootless = this.rootless;
    if (rootless) {
      const lookups = copyLookups(dir);
      const next = await withBuildContainer(this.engine, base.image!, ['/'], { user: '0' }, (cid) =>
        rootless.fillLayer(
          cid,
          `${this.opts.dockerfile.name}:${step.line}`,
          lookups,
          async (w, kindOf) => {
            for (const p of lookups) if (kindOf(p) === 'none') await w.addDirectory({ name: p.slice(1), mode: 0o755 });
          },
          (tar) => this.commit(base, key, r.config, history, tar),
        ), this.removal);
      this.progress.done(id, next.image);
      return next;
    }
    const next = await this.addedLayer(
      layers,
      make,
      (tar) => this.commit(base, key, r.config, history, tar),
      () =>
        withBuildContainer(this.engine, base.image!, ['/'], { user: '0' }, async (cid) => {
          await copyIntoRoot(this.engine, cid, `${this.opts.dockerfile.name}:${step.line}`, make);
          return withLayerTar(this.engine, cid, layers, (tar, dir) => this.commit(base, key, r.config, history, tar, undefined, dir), { adoptable: true });
        }, this.removal),
    );
    this.progress.done(id, next.image);
    return next;
  }

  /**
   * A step's layer of files PRODUCE adds to an image with LAYERS, written
   * as a tar straight from them (added-layer.ts) and handed to COMMIT; where
   * that would not give the same layer, INSIDE (the way through a container)
   */
  private async addedLayer(layers: readonly string[], produce: (w: EntryWriter, root: number) => Promise<void>, commit: (tar: string) => Promise<State>, inside: () => Promise<State>): Promise<State> {
    try {
      return await withAddedLayer(layers, produce, commit, this.sys);
    } catch (e) {
      if (!(e instanceof AddedLayerConflict)) throw e;
      return inside();
    }
  }

  /** what COPY --from FROM reads: the stage's or image's layers (topmost first), and its name in messages */
  private async fromLayers(from: NonNullable<Extract<Step, { kind: 'COPY' | 'ADD' }>['from']>): Promise<{ layers: string[]; label: string }> {
    if ('raw' in from) throw new Error('unresolved --from');
    let image: string | undefined;
    let label: string;
    if ('stage' in from) {
      const s = this.results.get(from.stage);
      if (!s) throw new MobyDickError('BUILD', `stage ${from.stage} was not built`, {});
      image = s.image;
      label = `stage ${this.stageName(this.plan.stages[from.stage]!)}`;
    } else {
      image = await this.image(from.image);
      label = `image ${from.image}`;
    }
    return { layers: image ? this.store.layerPaths(image).reverse() : [], label };
  }

  /** the root COPY/ADD reads from, open for FN: the context, or FROM's layers (fromLayers) as a read-only overlay */
  private async withSourceRoot<T>(from: { layers: string[]; label: string } | undefined, fn: (root: SourceRoot) => Promise<T>): Promise<T> {
    if (!from) return fn({ path: this.opts.context, label: 'build context', strict: true, ignore: this.opts.ignore });
    const { layers, label } = from;
    if (layers.length === 0) {
      const empty = mkdtempSync(posix.join(tmpdir(), 'moby-dick-empty-'));
      try {
        return await fn({ path: empty, label, strict: false });
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    }
    // one layer is its own directory (an overlay needs two lower layers without an upper one)
    if (layers.length === 1) return fn({ path: layers[0]!, label, strict: false });
    const fd = this.sys.mountOverlay(layers.map((l) => Buffer.from(l)), null, null);
    try {
      return await fn({ path: `/proc/self/fd/${fd}`, label, strict: false });
    } finally {
      closeSync(fd);
    }
  }

  private async copy(state: State, step: Extract<Step, { kind: 'COPY' | 'ADD' }>, config: RunConfig, id: number): Promise<State> {
    const vars = this.vars(state);
    const esc = this.plan.escape;
    const x = (w: string) => expandWord(w, vars, esc);
    const fail = (m: string) => this.fail(step, `${step.kind} failed: ${m}`);
    const patterns = step.sources.filter((s) => !s.startsWith('<<')).map(x);
    const urls = step.kind === 'ADD' ? patterns.filter((p) => /^https?:\/\//i.test(p)) : [];
    const local = patterns.filter((p) => !urls.includes(p));
    if (step.kind === 'COPY' && patterns.some((p) => /^https?:\/\//i.test(p))) throw fail('source can\'t be a URL for COPY');
    const heredocs = step.heredocs.filter((h) => step.sources.includes(`<<${h.name}`)).map((h) => ({ name: h.name, body: h.expand ? x(h.body) : h.body }));
    const dest = x(step.dest);
    const chown = step.chown !== undefined ? x(step.chown) : undefined;
    const workdir = config.WorkingDir || '/';
    const instr = `${step.kind} ${step.from ? `from:${JSON.stringify(step.from)} ` : ''}chown:${chown ?? ''} chmod:${step.chmod ?? ''} ${JSON.stringify(patterns)} ${JSON.stringify(heredocs)} ${dest}`;
    const createdBy = `${step.kind} ${step.from && 'stage' in step.from ? `--from=${this.stageName(this.plan.stages[step.from.stage]!)} ` : ''}${[...patterns, ...heredocs.map((h) => `<<${h.name}`)].join(' ')} ${dest} # buildkit`;
    const history = { created_by: createdBy, comment: 'buildkit.dockerfile.v0' };
    /** the owner of what is copied: --chown's, resolved in the image's files; root for the context's, the source's own for --from */
    const ownerIn = (layers: readonly string[]): { uid: number; gid: number } | undefined => {
      if (chown === undefined) return step.from ? undefined : { uid: 0, gid: 0 };
      const read = (p: string) => readImageFile(layers, p, this.sys, this.rootless !== undefined)?.toString('utf8') ?? null;
      const u = resolveUser(chown, read('/etc/passwd'), read('/etc/group'));
      if (this.rootless) {
        const maps = userNamespaceMaps();
        checkChownMapped(u, maps.uidMappings, maps.gidMappings, userName() || String(process.geteuid!()));
      }
      return { uid: u.uid, gid: u.gid };
    };
    const rootless = this.rootless;
    const from = step.from ? await this.fromLayers(step.from) : undefined;
    if (rootless && from) {
      // the stage's files are the user's subordinate ids': found, digested and copied in the user namespace
      if (urls.length) throw fail('ADD --from of a URL');
      const digest = await rootless.fromDigest(from.layers, from.label, local);
      const key = cacheKey(state.image, instr, [digest]);
      const hit = this.cached(state, key, id);
      if (hit) return hit;
      const base = await this.ensureImage(state);
      const layers = this.layers(base);
      const owner = ownerIn(layers);
      const next = await withBuildContainer(this.engine, base.image!, ['/'], { user: '0' }, (cid) =>
        rootless.copyFromLayer(cid, `${this.opts.dockerfile.name}:${step.line}`, from.layers, from.label, {
          kind: step.kind,
          patterns: local,
          heredocs,
          dest: posix.resolve(workdir, dest) + (dest.endsWith('/') || dest.endsWith('/.') ? '/' : ''),
          wildcard: local.some((p) => /[*?[]/.test(p)),
          ...(owner ? { owner } : {}),
          ...(step.chmod !== undefined ? { chmod: parseInt(step.chmod, 8) } : {}),
        }, (tar) => this.commit(base, key, config, history, tar)), this.removal);
      this.progress.done(id, next.image);
      return next;
    }
    // --from the same layers as before: their sources' digest then (a layer in the store never changes), no overlay mounted for the cache key
    const fromKey = from && urls.length === 0 ? JSON.stringify([from.layers, local]) : undefined;
    const fromDigest = fromKey !== undefined ? fromDigests.get(fromKey) : undefined;
    if (fromDigest !== undefined) {
      const hit = this.cached(state, cacheKey(state.image, instr, [fromDigest]), id);
      if (hit) return hit;
    }
    return this.withSourceRoot(from, async (root) => {
      // the context's trees as listed before, while unchanged (a warm process's rebuild)
      const trees = step.from ? undefined : this.opts.trees;
      const sources: Source[] = findSources(root, local, fail, this.sys, trees);
      const downloads = await Promise.all(urls.map((u) => fetchUrl(u, fail)));
      const digest = sourcesDigest(sources, step.from ? undefined : this.digestMemo(), trees);
      if (fromKey !== undefined) remember(fromDigests, fromKey, digest);
      const key = cacheKey(state.image, instr, [digest, ...downloads.map((d) => d.digest)]);
      const hit = this.cached(state, key, id);
      if (hit) return hit;
      const base = await this.ensureImage(state);
      const layers = this.layers(base);
      const owner = ownerIn(layers);
      const plan: CopyPlan = {
        kind: step.kind,
        sources,
        downloads,
        heredocs,
        dest: posix.resolve(workdir, dest) + (dest.endsWith('/') || dest.endsWith('/.') ? '/' : ''),
        multiple: sources.length + downloads.length + heredocs.length > 1 || local.some((p) => /[*?[]/.test(p)),
        ...(owner ? { owner } : {}),
        ...(chown !== undefined ? { chowned: true } : {}),
        ...(step.chmod !== undefined ? { chmod: parseInt(step.chmod, 8) } : {}),
        fail,
      };
      const inside = () =>
        rootless
          ? withBuildContainer(this.engine, base.image!, ['/'], { user: '0' }, (cid) =>
              // the context read here, as the user; written into the step's root in the user namespace
              rootless.fillLayer(cid, `${this.opts.dockerfile.name}:${step.line}`, copyLookups(plan.dest), (w, kindOf: KindOf) => addSourcesByKind(w, kindOf, plan), (tar) => this.commit(base, key, config, history, tar)),
            this.removal)
          : withBuildContainer(this.engine, base.image!, ['/'], { user: '0' }, async (cid) => {
          await copyIntoRoot(this.engine, cid, `${this.opts.dockerfile.name}:${step.line}`, (w, rootFd) => addSources(w, rootFd, plan, this.sys));
          // ADD may extract an archive with xattrs the layer leaves out: its upper dir is not the layer
          return withLayerTar(this.engine, cid, layers, (tar, dir) => this.commit(base, key, config, history, tar, undefined, dir), {
            adoptable: step.kind === 'COPY',
          });
        }, this.removal);
      // the same files copied the same way onto the same layers before (--no-cache, or an ENV changed above): that layer
      const layerKey = step.kind === 'COPY' && heredocs.length === 0 ? copyLayerKey(layers, plan, digest) : undefined;
      const known = layerKey ? this.knownLayer(base, layerKey) : undefined;
      if (known) {
        const next = await this.commit(base, key, config, history, undefined, undefined, undefined, known);
        this.progress.note(id, `the layer made before of the same files: ${known}`);
        this.progress.done(id, next.image);
        return next;
      }
      // ADD's archives keep the xattrs the container's way leaves out: ADD takes that way
      const next =
        step.kind === 'COPY' && !rootless
          ? await this.addedLayer(layers, (w, rootFd) => addSources(w, rootFd, plan, this.sys), (tar) => this.commit(base, key, config, history, tar), inside)
          : await inside();
      if (layerKey) this.cache.putLayer(layerKey, this.store.imageConfig(next.image!).rootfs.diff_ids.at(-1)!);
      this.progress.done(id, next.image);
      return next;
    });
  }
}

/** the content digests of COPY --from sources read by builds in this process, by the layers read and the patterns */
const fromDigests = new Map<string, string>();

/** KEY's VALUE in MEMO, the one used last; the oldest goes beyond MAX_CONFIGS */
function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  memo.delete(key);
  if (memo.size >= MAX_CONFIGS) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
}

/** the configs of images read by builds in this process, by ID, parsed once (an ID is its config's digest: the same ID, the same config) */
const configs = new Map<string, ImageConfig>();
const MAX_CONFIGS = 256;

/**
 * IMAGE_ID's config in STORE, a copy of the one parsed before in this
 * process (a warm service's rebuild takes a dozen, each a JSON parse and a
 * schema check of ~0.5 ms); the caller has checked that STORE has the image
 */
export function imageConfigOf(store: Pick<ImageStore, 'imageConfig'>, imageId: string): ImageConfig {
  const cfg = configs.get(imageId) ?? store.imageConfig(imageId);
  remember(configs, imageId, cfg);
  return structuredClone(cfg);
}

/** the components of DIR (absolute) missing in ROOT (looked up with SYS), outermost first, as tar names */
export function missingDirs(root: number, dir: string, sys: LocateSyscalls = nativeAddon()): string[] {
  const comps = dir.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i <= comps.length; i++) {
    const p = `/${comps.slice(0, i).join('/')}`;
    let exists = false;
    try {
      const l = locate(root, p, true, sys);
      exists = l.st !== undefined;
      closeSync(l.dir);
    } catch {
      exists = false;
    }
    if (!exists) out.push(comps.slice(0, i).join('/'));
  }
  return out;
}

/** An ADD URL's file, fetched into memory; unreachable (no internet here): an error naming the line. */
async function fetchUrl(url: string, fail: (m: string) => MobyDickError): Promise<Download> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw fail(`cannot fetch ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok) throw fail(`cannot fetch ${url}: ${res.status} ${res.statusText}`);
  const data = Buffer.from(await res.arrayBuffer());
  const last = res.headers.get('last-modified');
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  return { name, data, digest: createHash('sha256').update(data).digest('hex'), mtime: last ? Math.floor(Date.parse(last) / 1000) : 0 };
}

/** the build was canceled (SIGNAL): exit 128 + its number, as the CLI reports a signal */
export class CanceledError extends MobyDickError {
  constructor(readonly signal: string) {
    super('BUILD', `the build was canceled (${signal})`, { hint: 'the steps that had finished stay in the cache' });
  }
}

/** thrown inside a stage that stops because the build stopped (REASON: the failure elsewhere, or the cancellation) */
class StoppedError extends Error {
  constructor(readonly reason: MobyDickError) {
    super(reason instanceof CanceledError ? `canceled (${reason.signal})` : 'canceled: another stage failed');
  }
}
