/**
 * `cp` as an ordinary user (rootless). The container's files belong to the
 * user's subordinate ids, which only root of the user's user namespace may
 * read, write or chown; so the container's half of a copy is done by a
 * process there (the hidden `rootless-cp`, engine/copy-in-namespace.ts),
 * and the host's half here, as the user: what lands on the host is the
 * user's, owned by nobody else, and a host file is read only if the user
 * may read it.
 *
 * The container's root reaches that process as a directory fd at 3: a
 * running container's /proc/PID/root (opened here, checked to be its
 * process), or it mounts the detached overlay of a stopped container's
 * layers itself (with `userxattr`, writable only for a write, under the
 * container's lock as for root). Every path under it is resolved with
 * openat2(RESOLVE_IN_ROOT) there as for root (copy.ts, archive-fs.ts).
 *
 * Out of the container, the process writes one JSON line (what SRC is) and
 * then the tar of SRC, its top named as SRC; this side picks the
 * destination from that line and extracts the tar under the name it picked
 * (ExtractOptions.rename), owned by the user. Into the container, this side
 * writes the tar of the host's SRC (owned by root inside unless -a), and the
 * process picks the destination inside and extracts under that name.
 */
import { closeSync } from 'node:fs';
import { PassThrough, type Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { extractTree } from './archive-fs.js';
import { overlayPartsOf, type OverlayParts, processRoot } from './container-fs.js';
import { type CopyEnd, copyEnds, type CopyOptions, destination, produce, source, stdio, withHostRoot } from './copy.js';
import type { Engine } from './engine.js';
import type { PathStat } from './path-stat.js';

/** What SRC is, as `source` found it in the container */
export interface SourceFacts {
  dir: boolean;
  contents: boolean;
  base: string;
}

/** The container's root for `rootless-cp`: the fd it was given at 3, or the overlay it mounts */
export type NamespaceRoot = { fd: 3 } | { overlay: OverlayParts; writable: boolean };

/** What `rootless-cp` is asked to do (its one argument, as JSON) */
export type NamespaceCopyRequest =
  | { op: 'out'; container: string; root: NamespaceRoot; path: string; follow: boolean }
  | { op: 'in'; container: string; root: NamespaceRoot; path: string; src?: SourceFacts; owner?: { uid: number; gid: number } }
  | { op: 'stat'; container: string; root: NamespaceRoot; path: string };

/** Runs `rootless-cp REQUEST` as root of the user's user namespace: INPUT its stdin, OUTPUT its stdout (not ended), PASS_FDS at 3.. */
export type RunCopyInNamespace = (request: NamespaceCopyRequest, io: { input?: AsyncIterable<Buffer>; output?: Writable; passFds: readonly number[] }) => Promise<{ code: number; stderr: string }>;

/** copy.ts's and path-stat.ts's words for a path the caller got wrong (a USAGE error there, the API's 400 and 404) */
const CALLERS_MISTAKE = /^Could not find the file |^destination ".*" must be a directory$|^cannot copy a directory to a file: |^container rootfs is marked read-only$/;

/** the process's failure as the error of this copy: its last line, its exit code; a mistake of the caller's a USAGE error, as for root */
function failed(r: { code: number; stderr: string }, container: string): MobyDickError {
  const lines = r.stderr.trim().split('\n').filter((l) => l && !l.startsWith('moby-dick: warning: ') && !l.startsWith('  '));
  const last = (lines[lines.length - 1] ?? `exit ${r.code}`).replace(/^moby-dick: /, '');
  return new MobyDickError(CALLERS_MISTAKE.test(last) ? 'USAGE' : 'ARCHIVE', last, { container, step: 'cp (rootless)' }, r.code || 125);
}

/** REF's root for the process: a running container's by fd, a stopped one's as its overlay (a write under its lock) */
async function withNamespaceRoot<T>(engine: Engine, ref: string, use: 'read' | 'write', fn: (root: NamespaceRoot, passFds: readonly number[]) => Promise<T>): Promise<T> {
  const record = engine.containers.find(ref);
  const run = async (): Promise<T> => {
    const v = engine.view(record);
    if (!v.state.Running) return fn({ overlay: overlayPartsOf(v), writable: use === 'write' }, []);
    const fd = processRoot(engine, v);
    try {
      return await fn({ fd: 3 }, [fd]);
    } finally {
      closeSync(fd);
    }
  };
  if (use === 'write') {
    const v = engine.view(record);
    // stopped, it is written through an overlay of its own: refused as Docker refuses it
    if (v.record.engine.readOnly && !v.state.Running) throw new MobyDickError('USAGE', 'container rootfs is marked read-only', { container: ref });
    if (!v.state.Running) return engine.locked(record.id, run);
  }
  return run();
}

/** The first line of STREAM (undefined if it ends first) and the rest of it. */
export async function splitFirstLine(stream: AsyncIterable<Buffer>, limit = 64 * 1024): Promise<{ line: string | undefined; rest: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  for (;;) {
    const n = await it.next();
    if (n.done) return { line: undefined, rest: (async function* () {})() };
    head = Buffer.concat([head, n.value]);
    const nl = head.indexOf(10);
    if (nl < 0) {
      if (head.length > limit) throw new MobyDickError('ARCHIVE', 'rootless cp: no description of the source before its tar');
      continue;
    }
    const left = head.subarray(nl + 1);
    const rest = (async function* () {
      if (left.length) yield left;
      for (;;) {
        const m = await it.next();
        if (m.done) return;
        yield m.value;
      }
    })();
    return { line: head.subarray(0, nl).toString('utf8'), rest };
  }
}

/** What `docker cp` asks of PATH in an ordinary user's container REF (path-stat.ts's, found by the process). */
export async function statRootless(engine: Engine, ref: string, path: string, run: RunCopyInNamespace): Promise<PathStat> {
  return withNamespaceRoot(engine, ref, 'read', async (root, passFds) => {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (b: Buffer) => parts.push(b));
    const r = await run({ op: 'stat', container: ref, root, path }, { output: out, passFds });
    if (r.code !== 0) throw failed(r, ref);
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as PathStat;
  });
}

/** `cp` of an ordinary user's container (see above); the same ends and rules as copy.ts's `copy`. */
export async function copyRootless(engine: Engine, from: CopyEnd, to: CopyEnd, opts: CopyOptions, run: RunCopyInNamespace): Promise<void> {
  const { src, dst } = copyEnds(from, to, opts);
  if (src.container === undefined) return copyIn(engine, src, dst as CopyEnd & { container: string }, opts, run);
  const container = src.container;
  if (opts.archive && dst.path !== '-') {
    throw new MobyDickError('USAGE', 'cp -a to the host: an ordinary user cannot give the copied files their owners (rootless)', {
      container,
      hint: 'leave out -a (the files are then yours), or copy to "-" for a tar that keeps the owners',
    });
  }
  await withNamespaceRoot(engine, container, 'read', async (root, passFds) => {
    const out = new PassThrough();
    const running = run({ op: 'out', container, root, path: src.path, follow: opts.followLink }, { output: out, passFds }).finally(() => out.end());
    let first: unknown;
    const consuming = (async () => {
      const { line, rest } = await splitFirstLine(out);
      if (line === undefined) return; // it failed before: its exit says why
      const s = JSON.parse(line) as SourceFacts;
      if (dst.path === '-') {
        const w = stdio(opts.stdout, 'stdout');
        for await (const chunk of rest) if (!w.write(chunk)) await new Promise<void>((res) => w.once('drain', res));
        return;
      }
      await withHostRoot(async (host) => {
        const { into, top } = destination(host, dst.path, s);
        await extractTree(rest, host.root, {
          into,
          label: `copying to ${host.label(dst.path)}`,
          owner: { uid: process.getuid!(), gid: process.getgid!() },
          ...(s.contents ? {} : { rename: { from: s.base, to: top } }),
        });
      });
    })().catch((e: unknown) => {
      first = e;
      out.destroy();
    });
    const [r] = await Promise.all([running, consuming]);
    if (r.code !== 0) throw failed(r, container);
    if (first !== undefined) throw first;
  });
}

async function copyIn(engine: Engine, src: CopyEnd, dst: CopyEnd & { container: string }, opts: CopyOptions, run: RunCopyInNamespace): Promise<void> {
  const container = dst.container;
  await withNamespaceRoot(engine, container, 'write', async (root, passFds) => {
    if (src.path === '-') {
      // a tar from stdin into a directory of the container, owned by root inside unless -a
      const r = await run({ op: 'in', container, root, path: dst.path, ...(opts.archive ? {} : { owner: { uid: 0, gid: 0 } }) }, { input: stdio(opts.stdin, 'stdin'), passFds });
      if (r.code !== 0) throw failed(r, container);
      return;
    }
    await withHostRoot(async (host) => {
      const s = source(host, src.path, opts.followLink);
      try {
        const pipe = new PassThrough();
        let produceError: unknown;
        const producing = produce(host, src.path, s, s.contents ? '' : s.base, pipe, opts.archive ? undefined : { uid: 0, gid: 0 }).then(
          () => void pipe.end(),
          (e: unknown) => {
            produceError = e;
            pipe.end();
          },
        );
        const r = await run({ op: 'in', container, root, path: dst.path, src: { dir: s.dir, contents: s.contents, base: s.base } }, { input: pipe, passFds });
        // it stopped reading (it failed): what is left of the tar is dropped
        pipe.resume();
        await producing;
        // a host file that could not be read is the cause; a pipe the process stopped reading is not
        if (produceError instanceof MobyDickError) throw produceError;
        if (r.code !== 0) throw failed(r, container);
        if (produceError !== undefined) throw produceError;
      } finally {
        closeSync(s.loc.dir);
      }
    });
  });
}
