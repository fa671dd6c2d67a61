/**
 * `cp` between a container and the host, or a tar stream, with Docker's
 * rules for what lands where (docker cp's documentation):
 *
 * - a file onto a missing path: saved under that name (a trailing "/" on
 *   it: an error, the directory must exist); onto a file: overwritten; onto
 *   a directory: copied into it under its own name.
 * - a directory onto a missing path: created with the contents; onto a
 *   file: an error; onto a directory: copied into it, or with SRC ending in
 *   "/." its contents are.
 * - "-" as the destination: a tar of SRC on stdout; "-" as the source: a
 *   tar from stdin extracted into a destination directory.
 * - a symlink as SRC is copied as a symlink unless -L (followed inside its
 *   own root). Without -a, what lands in a container is owned by root and
 *   what lands on the host by the user running cp; -a keeps the owners.
 *
 * Both sides are a root fd (the container's, container-fs.ts, or the host's
 * "/"), and every path is resolved inside its root (archive-fs.ts), so no
 * symlink in a container can send a read or a write to the host.
 */
import { closeSync, openSync, constants as fsc } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { TarWriter } from '../images/tar/tar-writer.js';
import { extractTree, inPseudoFs, isDir, type Located, locate, writeTree } from './archive-fs.js';
import { withContainerRoot } from './container-fs.js';
import type { Engine } from './engine.js';

export interface CopyEnd {
  /** the container's name or ID; undefined for the host (or "-") */
  container?: string;
  /** a path, or "-" for a tar stream (host side only) */
  path: string;
}

export interface CopyOptions {
  /** -a: keep owners (uid/gid) */
  archive: boolean;
  /** -L: follow a symlink given as SRC */
  followLink: boolean;
  /** the tar of a copy from "-" (only then read) */
  stdin?: Readable;
  /** where a copy to "-" writes its tar (only then written) */
  stdout?: Writable;
  /** the directory relative host paths are under */
  cwd: string;
}

/** Docker's split of a cp argument: CONTAINER:PATH, unless it is an absolute or explicitly relative local path. */
export function parseCopyArg(arg: string): CopyEnd {
  if (arg.startsWith('/') || arg.startsWith('./') || arg.startsWith('../') || arg === '-' || arg === '.' || arg === '..') return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export interface Side {
  root: number;
  /** for messages: "CONTAINER:PATH" or the host path */
  label: (path: string) => string;
  container?: string;
}

const lastName = (path: string): string => {
  const comps = path.split('/').filter((c) => c !== '');
  return comps[comps.length - 1] ?? '';
};

/** the directory part of PATH, kept as given ("/a/b" -> "/a", "b" -> ".") */
const parentOf = (path: string): string => {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : trimmed.slice(0, slash);
};

function notFound(side: Side, path: string): MobyDickError {
  return side.container
    ? new MobyDickError('USAGE', `Could not find the file ${path} in container ${side.container}`, { container: side.container, subject: path })
    : new MobyDickError('USAGE', `lstat ${path}: no such file or directory`, { subject: path });
}

/** PATH located in SIDE's root; a missing or unreachable parent is Docker's not-found */
function find(side: Side, path: string, follow: boolean): Located {
  try {
    return locate(side.root, path, follow);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(side, path);
    if (code === 'ENOTDIR') throw new MobyDickError('USAGE', `${side.label(path)}: not a directory`, { subject: path });
    if (code === 'ELOOP' || code === 'EXDEV') throw new MobyDickError('USAGE', `${side.label(path)}: too many levels of symbolic links, or a link that cannot be followed`, { subject: path });
    throw e;
  }
}

/** what SRC is: its location (owned fds), whether it is a directory and whether only its contents go */
export interface Source {
  loc: Located;
  dir: boolean;
  contents: boolean;
  /** the name it goes under */
  base: string;
}

export function source(side: Side, path: string, follow: boolean): Source {
  const loc = find(side, path, follow);
  if (!loc.st) {
    closeSync(loc.dir);
    throw notFound(side, path);
  }
  // a file of the kernel's (in /proc, /sys, the container's /dev): not the container's, as docker cp does not find it either
  let pseudo = false;
  try {
    if (side.container !== undefined) pseudo = inPseudoFs(side.root, loc.dir);
  } catch (e) {
    closeSync(loc.dir);
    throw e;
  }
  if (pseudo) {
    closeSync(loc.dir);
    throw notFound(side, path);
  }
  const dir = isDir(loc.st);
  if (!dir && path.endsWith('/')) {
    closeSync(loc.dir);
    throw new MobyDickError('USAGE', `${side.label(path)}: not a directory`, { subject: path });
  }
  const base = lastName(path);
  return { loc, dir, contents: dir && (/(^|\/)\.$/.test(path) || base === '' || base === '..'), base };
}

/** where the archive goes in DEST's root, and the name its top entry takes */
export function destination(side: Side, path: string, src: { dir: boolean; contents: boolean; base: string } | undefined): { into: string; top: string } {
  const loc = find(side, path, true);
  closeSync(loc.dir);
  if (!src) {
    // a tar stream: into a directory that exists
    if (!loc.st || !isDir(loc.st)) throw new MobyDickError('USAGE', `destination "${side.label(path)}" must be a directory`, { subject: path });
    return { into: loc.path, top: '' };
  }
  if (loc.st && isDir(loc.st)) return { into: loc.path, top: src.contents ? '' : src.base };
  if (loc.st) {
    if (src.dir) throw new MobyDickError('USAGE', `cannot copy a directory to a file: ${side.label(path)}`, { subject: path });
    return { into: parentOf(loc.path), top: lastName(loc.path) };
  }
  if (path.endsWith('/') && !src.dir) {
    throw new MobyDickError('USAGE', `destination directory ${side.label(path)} does not exist`, { subject: path });
  }
  return { into: parentOf(path), top: lastName(path) };
}

/** the host's "/" as a root fd: host paths resolve as usual, except magic links */
export async function withHostRoot<T>(fn: (side: Side) => Promise<T>): Promise<T> {
  const root = openSync('/', fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    return await fn({ root, label: (p) => p });
  } finally {
    closeSync(root);
  }
}

/** Docker's message for a write to a read-only root (a running container's volumes stay writable) */
export function readOnly(e: unknown, side: Side): unknown {
  const code = e instanceof MobyDickError ? e.details.errnoName : (e as NodeJS.ErrnoException).code;
  if (code !== 'EROFS' || !side.container) return e;
  return new MobyDickError('USAGE', 'container rootfs is marked read-only', { container: side.container });
}

async function withSide<T>(engine: Engine, end: CopyEnd, use: 'read' | 'write', fn: (side: Side) => Promise<T>): Promise<T> {
  if (end.container === undefined) return withHostRoot(fn);
  const name = end.container;
  if (use === 'write') {
    const v = engine.inspect(name);
    // stopped, it is written through an overlay of its own: refused as Docker refuses it
    if (v.record.engine.readOnly && !v.state.Running) throw new MobyDickError('USAGE', 'container rootfs is marked read-only', { container: name });
  }
  return withContainerRoot(engine, name, use, (r) => fn({ root: r.fd, container: name, label: (p) => `${name}:${p}` }));
}

/** The tar of SRC (in SIDE, at PATH) on OUT, its top entry named TOP ('' : the directory's contents without a top). */
export async function produce(side: Side, path: string, src: Source, top: string, out: Writable, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const w = new TarWriter(out);
  const label = `copying from ${side.label(path)}`;
  await writeTree(w, src.loc.dir, src.contents ? Buffer.alloc(0) : src.loc.name, src.contents && top === '' ? Buffer.alloc(0) : Buffer.from(top), owner ? { owner, label } : { label }, side.root);
  await w.finish();
}

/** The stream a copy from or to "-" needs; a caller that gave none asked for a copy it cannot do. */
export function stdio<T>(stream: T | undefined, name: 'stdin' | 'stdout'): T {
  if (stream === undefined) throw new MobyDickError('USAGE', `a copy ${name === 'stdin' ? 'from' : 'to'} "-" needs a ${name} to ${name === 'stdin' ? 'read' : 'write'} the tar`);
  return stream;
}

/** The two ends of a copy checked (one container, one host side), host paths made absolute under OPTS.cwd. */
export function copyEnds(from: CopyEnd, to: CopyEnd, opts: Pick<CopyOptions, 'cwd'>): { src: CopyEnd; dst: CopyEnd } {
  if (from.container !== undefined && to.container !== undefined) {
    throw new MobyDickError('USAGE', 'copying between containers is not supported', { hint: 'copy to the host, then into the other container' });
  }
  if (from.container === undefined && to.container === undefined) {
    throw new MobyDickError('USAGE', 'must specify at least one container source', { hint: "see 'moby-dick cp --help'" });
  }
  const absolute = (p: string) => (p.startsWith('/') ? p : `${opts.cwd.replace(/\/+$/, '')}/${p}`);
  const hostPath = (end: CopyEnd) => (end.container === undefined ? { ...end, path: absolute(end.path) } : end);
  return { src: from.path === '-' ? from : hostPath(from), dst: to.path === '-' ? to : hostPath(to) };
}

export async function copy(engine: Engine, from: CopyEnd, to: CopyEnd, opts: CopyOptions): Promise<void> {
  const { src, dst } = copyEnds(from, to, opts);
  if (src.container === undefined && src.path === '-') {
    // a tar from stdin into a directory of the container
    await withSide(engine, dst, 'write', async (side) => {
      const { into } = destination(side, dst.path, undefined);
      try {
        await extractTree(stdio(opts.stdin, 'stdin'), side.root, { into, label: `copying into ${side.label(dst.path)}`, ...(opts.archive ? {} : { owner: { uid: 0, gid: 0 } }) });
      } catch (e) {
        throw readOnly(e, side);
      }
    });
    return;
  }
  await withSide(engine, src, 'read', async (from) => {
    const s = source(from, src.path, opts.followLink);
    try {
      if (dst.container === undefined && dst.path === '-') {
        await produce(from, src.path, s, s.contents ? '' : s.base, stdio(opts.stdout, 'stdout'), undefined);
        return;
      }
      const toHost = dst.container === undefined;
      const owner = opts.archive ? undefined : toHost ? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } : { uid: 0, gid: 0 };
      await withSide(engine, dst, 'write', async (to) => {
        const { into, top } = destination(to, dst.path, s);
        const pipe = new PassThrough();
        // the side that fails first ends the other through the pipe; its error is the one to report
        let first: unknown;
        const failed = (e: unknown) => {
          first ??= e;
          pipe.destroy(e as Error);
          throw e;
        };
        const producing = produce(from, src.path, s, top, pipe, owner).then(() => pipe.end(), failed);
        const extracting = extractTree(pipe, to.root, { into, label: `copying to ${to.label(dst.path)}` }).catch(failed);
        const results = await Promise.allSettled([producing, extracting]);
        if (results.some((r) => r.status === 'rejected')) throw readOnly(first, to);
      });
    } finally {
      closeSync(s.loc.dir);
    }
  });
}
