/**
 * A build step's work on a container's files as an ordinary user
 * (rootless): the step container's files belong to the user's subordinate
 * ids, which only root of the user's user namespace may read, write, give
 * owners or remove. So, as cp and commit do (engine/rootless-copy.ts,
 * rootless-layer.ts), that half runs in a process there (the hidden
 * `rootless-build-step`, step-in-namespace.ts; `rootless-layer`), started
 * through the engine's EngineOptions.namespace (engine/container-files.ts),
 * and this process, the user's, does the rest:
 *
 * - COPY and ADD from the build context: the context is read here, as the
 *   user; the namespace's process tells what the destination's paths are
 *   in the step's root, this side writes the tar of what lands where
 *   (copy.ts), and the process extracts it into the stopped container's
 *   overlay with the owners it names (root inside: the user on the host;
 *   --chown's ids: the user's subordinate ones);
 * - COPY --from: the stage's files are read and copied there, owners kept;
 * - the new layer: the upper dir's changes as a tar with the owners seen
 *   inside (rootless-layer.ts; for COPY, ADD and WORKDIR by the same
 *   process that wrote the files), unpacked into the user's store like any;
 * - the step's directories (files of the range) removed there (`rm -rf`).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { overlayPartsOf } from '../engine/container-fs.js';
import { splitFirstLine } from '../engine/rootless-copy.js';
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { TarWriter } from '../images/tar/tar-writer.js';
import type { EntryWriter } from '../images/tar/tar-writer.js';
import { runInUserNamespace } from '../jail/userns-run.js';
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import type { IdMapping } from '../rootless/id-maps.js';
import { mappedRanges } from '../rootless/mapped-user.js';
import type { KindOf } from './copy.js';
import { layerRunner, withRootlessLayerTar } from './rootless-layer.js';
import type { CopyFromPlan, StepRequest } from './step-in-namespace.js';

/** the process's failure: its last line (not a warning), without the CLI's "moby-dick: " */
function failure(stderr: string, code: number): string {
  const lines = stderr.trim().split('\n').filter((l) => l && !l.startsWith('moby-dick: warning: '));
  return (lines[lines.length - 1] ?? `exit ${code}`).replace(/^moby-dick: /, '');
}

type Kind = ReturnType<KindOf>;

/**
 * --chown's OWNER must be ids the user namespace maps (UIDS, GIDS: the
 * user's maps), else the kernel refuses the chown with a bare EINVAL: one
 * line naming the id and the mapped ranges, before the step runs. Pure.
 */
export function checkChownMapped(owner: { uid: number; gid: number }, uids: readonly IdMapping[], gids: readonly IdMapping[], user: string): void {
  const inside = (id: number, maps: readonly IdMapping[]) => maps.some((m) => id >= m.containerID && id < m.containerID + m.size);
  const wrong = !inside(owner.uid, uids) ? (['uid', owner.uid, uids, '/etc/subuid'] as const) : !inside(owner.gid, gids) ? (['gid', owner.gid, gids, '/etc/subgid'] as const) : undefined;
  if (!wrong) return;
  const [what, id, maps, file] = wrong;
  throw new MobyDickError('USAGE', `--chown: ${what} ${id} is not mapped in your user namespace (mapped ${what}s: ${mappedRanges(maps)}; rootless)`, {
    subject: String(id),
    hint: `pick an id in ${mappedRanges(maps)}, or give ${user} a larger range in ${file}`,
  });
}

export class RootlessSteps {
  /** NS: the engine's way to run the CLI's hidden commands in the user namespace (EngineOptions.namespace) */
  constructor(
    private readonly engine: Engine,
    private readonly ns: NamespaceCommands,
  ) {}

  private command(req: StepRequest): string[] {
    return ['rootless-build-step', JSON.stringify(req)];
  }

  /** the stopped container ID's overlay, under its lock, for FN */
  private locked<T>(id: string, fn: (target: ReturnType<typeof overlayPartsOf>) => Promise<T>): Promise<T> {
    return this.engine.locked(id, () => fn(overlayPartsOf(this.engine.view(this.engine.containers.find(id)))));
  }

  /**
   * The entries FILL writes (from the user's files: it runs here) extracted
   * at "/" of container ID's root in the user namespace; FILL is told what
   * LOOKUPS (absolute paths of the root) are there. The same process then
   * writes the container's layer (rootless-layer.ts) to a temp file, for FN.
   */
  async fillLayer<T>(id: string, label: string, lookups: readonly string[], fill: (w: EntryWriter, kindOf: KindOf) => Promise<void>, fn: (tar: string) => Promise<T>): Promise<T> {
    return withTempTar(async (path) => {
      await this.locked(id, async (target) => {
        const req: StepRequest = { op: 'fill', target, lookups: [...lookups], label, layerTar: true };
        if (!this.ns.spawn) throw new MobyDickError('SETUP', "an ordinary user's build needs its engine's user namespace commands to start a conversation (NamespaceCommands.spawn)", { step: 'copy (rootless)' });
        const c = this.ns.spawn(this.command(req));
        const stderr: Buffer[] = [];
        c.stderr.on('data', (b: Buffer) => stderr.push(b));
        const stderrDone = new Promise<void>((resolve) => c.stderr.on('close', resolve));
        const stdin = c.stdin;
        // a process that fails stops reading: its exit says why, not the broken pipe
        stdin.on('error', () => {});
        let produced: unknown;
        let layer: Promise<void> = Promise.resolve();
        const feeding = (async () => {
          const { line, rest } = await splitFirstLine(c.stdout);
          if (line === undefined) return; // it failed before answering: its exit says why
          // what follows the line is the layer, written once the entries are in
          layer = pipeline(Readable.from(rest), createWriteStream(path, { mode: 0o600 }));
          const kinds = JSON.parse(line) as Kind[];
          const known = new Map(lookups.map((p, i) => [p, kinds[i] ?? 'none']));
          const kindOf: KindOf = (p) => {
            const k = known.get(p);
            if (k === undefined) throw new Error(`the build step asked about ${p}, which was not looked up`);
            return k;
          };
          const w = new TarWriter(stdin as unknown as Writable);
          await fill(w, kindOf);
          await w.finish();
        })()
          .catch((e: unknown) => {
            produced = e;
          })
          .finally(() => stdin.end());
        const [exitCode] = await Promise.all([c.wait(), feeding, stderrDone]);
        const written = await layer.then(
          () => undefined,
          (e: unknown) => e,
        );
        // a file of the context that could not be read is the cause; a pipe the process stopped reading is not
        if (produced instanceof MobyDickError) throw produced;
        if (exitCode !== 0) throw new MobyDickError('BUILD', failure(Buffer.concat(stderr).toString('utf8'), exitCode), { step: 'copy (rootless)' });
        if (produced !== undefined) throw produced;
        if (written !== undefined) throw written;
      });
      return fn(path);
    });
  }

  /** COPY --from's content digest of PATTERNS in SOURCE (layers, topmost first), read in the user namespace */
  async fromDigest(source: readonly string[], sourceLabel: string, patterns: readonly string[]): Promise<string> {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (b: Buffer) => parts.push(b));
    const r = await this.ns.stream(this.command({ op: 'digest', source: [...source], sourceLabel, patterns: [...patterns] }), out);
    if (r.code !== 0) throw new MobyDickError('BUILD', failure(r.stderr, r.code), { step: 'copy --from (rootless)' });
    return (JSON.parse(Buffer.concat(parts).toString('utf8')) as { digest: string }).digest;
  }

  /** COPY --from: PLAN's sources in SOURCE copied into container ID's root in the user namespace; its layer then, for FN */
  async copyFromLayer<T>(id: string, label: string, source: readonly string[], sourceLabel: string, plan: CopyFromPlan, fn: (tar: string) => Promise<T>): Promise<T> {
    return withTempTar(async (path) => {
      await this.locked(id, async (target) => {
        const file = createWriteStream(path, { mode: 0o600 });
        try {
          const r = await this.ns.stream(this.command({ op: 'copy-from', target, source: [...source], sourceLabel, label, plan, layerTar: true }), file);
          if (r.code !== 0) throw new MobyDickError('BUILD', failure(r.stderr, r.code), { step: 'copy --from (rootless)' });
          file.end();
          await finished(file);
        } catch (e) {
          file.destroy();
          throw e;
        }
      });
      return fn(path);
    });
  }

  /** Container ID's changes over LAYERS (topmost first) as a layer tar (rootless-layer.ts), for FN */
  layerTar<T>(id: string, layers: readonly string[], fn: (tar: string) => Promise<T>): Promise<T> {
    return withRootlessLayerTar(this.engine, id, layers, layerRunner(this.ns), fn);
  }
}

/** a temp file's path (the user's TMPDIR) for FN, removed after */
async function withTempTar<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const path = join(tmpdir(), `moby-dick-layer-${randomBytes(8).toString('hex')}.tar`);
  try {
    return await fn(path);
  } finally {
    rmSync(path, { force: true });
  }
}

/** Removes DIR (absolute) and everything in it as root of the user namespace: the step directories' files are of the user's range */
export async function removeInNamespace(dir: string): Promise<void> {
  if (!posix.isAbsolute(dir)) throw new Error(`not an absolute path: ${dir}`);
  const r = await runInUserNamespace(['rm', '-rf', '--', dir]);
  if (r.code !== 0) throw new MobyDickError('STORE', `rm -rf ${dir} in the user namespace: ${r.stderr.trim() || `exit ${r.code}`}`, { subject: dir });
}
