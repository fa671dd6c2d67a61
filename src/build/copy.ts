/**
 * COPY and ADD as tar entries of what lands where, extracted into the step's
 * container root (container-steps.ts's copyIntoRoot), with Docker's rules:
 *
 * - a directory source copies its contents, not itself, into the
 *   destination; a file goes to DEST/NAME when the destination is a
 *   directory (it ends with `/`, or is one already, or there are several
 *   sources), else to DEST itself; several sources need a directory
 *   destination;
 * - the destination's missing directories are made (0755; the last one
 *   owned as --chown says);
 * - owners: root (--chown's user and group, resolved in the image's
 *   /etc/passwd and /etc/group) for the context's files, the source's own
 *   for --from unless --chown; modes as the source's unless --chmod;
 *   mtimes kept; hard links within a source kept;
 * - ADD of a local tar archive (plain, gzip, zstd, xz or bzip2; told by its
 *   first bytes, as Docker tells it, not by its name) extracts it into the
 *   destination directory, owners as the archive has them (--chown's with
 *   it: CopyPlan.chowned); ADD of a URL
 *   writes the download (mode 0600, as Docker).
 */
import { closeSync, constants as fsc, createReadStream, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import { locate, type LocateSyscalls } from '../engine/archive-fs.js';
import { nativeAddon } from '../helper/native-addon.js';
import { decompressArchive, sniffArchiveCompression } from '../images/decompress.js';
import { openTarReader } from '../images/tar/tar-reader.js';
import type { EntryWriter } from '../images/tar/tar-writer.js';
import type { Item, Source } from './sources.js';
import { S_IFDIR, S_IFMT } from '../linux/file-modes.js';

/** An ADD URL's file, fetched. */
export interface Download {
  name: string;
  data: Buffer;
  digest: string;
  mtime: number;
}

export interface CopyPlan {
  kind: 'COPY' | 'ADD';
  sources: readonly Source[];
  downloads: readonly Download[];
  heredocs: readonly { name: string; body: string }[];
  /** absolute; a trailing '/' says it is a directory */
  dest: string;
  /** more than one source, or a wildcard: the destination must be a directory */
  multiple: boolean;
  owner?: { uid: number; gid: number };
  /** OWNER is --chown's: an archive's entries take it too (without, they keep the archive's owners, as Docker's ADD) */
  chowned?: boolean;
  chmod?: number;
  fail: (message: string) => MobyDickError;
}


/** what PATH is in ROOT, symlinks followed inside it: 'dir', 'other' or 'none' */
function kindIn(root: number, path: string, sys: LocateSyscalls): 'dir' | 'other' | 'none' {
  try {
    const l = locate(root, path, true, sys);
    closeSync(l.dir);
    if (!l.st) return 'none';
    return (l.st.mode & S_IFMT) === S_IFDIR ? 'dir' : 'other';
  } catch {
    return 'none';
  }
}

/** What paths of ROOT are (looked up with SYS), as addSourcesByKind asks */
export function kindsIn(root: number, sys: LocateSyscalls = nativeAddon()): KindOf {
  return (p) => kindIn(root, p, sys);
}

/** the first 512 bytes of a file: is it an archive ADD extracts? */
function isArchive(path: string): boolean {
  const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, 512, 0);
    const c = sniffArchiveCompression(head.subarray(0, n));
    if (c !== 'none') return true;
    return n >= 263 && head.toString('latin1', 257, 262) === 'ustar';
  } finally {
    closeSync(fd);
  }
}

/** a file this small is read at once, synchronously: thousands of small files through the thread pool cost more than they read */
const SMALL_FILE = 256 * 1024;

async function* fileData(path: string, size: number): AsyncGenerator<Buffer> {
  if (size <= SMALL_FILE) {
    const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, got);
        if (n === 0) break; // shorter than it was when listed: the rest stays zeros, as below
        got += n;
      }
      yield buf;
    } finally {
      closeSync(fd);
    }
    return;
  }
  let left = size;
  for await (const c of createReadStream('', { fd: openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW) })) {
    const b = c as Buffer;
    if (b.length >= left) {
      yield b.subarray(0, left);
      left = 0;
      break;
    }
    left -= b.length;
    yield b;
  }
  if (left > 0) yield Buffer.alloc(left);
}

/** What a path of the step's root is, symlinks followed inside it (the root looked up here, or by a process in the user namespace: rootless-steps.ts) */
export type KindOf = (path: string) => 'dir' | 'other' | 'none';

/** Writes PLAN's files to W, as names under "/" of the container root ROOT (looked up with SYS). */
export async function addSources(w: EntryWriter, root: number, plan: CopyPlan, sys: LocateSyscalls = nativeAddon()): Promise<void> {
  return addSourcesByKind(w, (p) => kindIn(root, p, sys), plan);
}

/** The paths of the step's root that addSourcesByKind asks KIND_OF about for PLAN: its destination and every directory above it. Pure. */
export function copyLookups(dest: string): string[] {
  const comps = (dest.replace(/\/+$/, '') || '/').split('/').filter(Boolean);
  return comps.map((_, i) => `/${comps.slice(0, i + 1).join('/')}`);
}

/** As addSources, what the root's paths are told by KIND_OF (asked only about copyLookups(plan.dest)). */
export async function addSourcesByKind(w: EntryWriter, kindOf: KindOf, plan: CopyPlan): Promise<void> {
  const destPath = plan.dest.replace(/\/+$/, '') || '/';
  const destKind = destPath === '/' ? 'dir' : kindOf(destPath);
  const onlyDir = plan.sources.length === 1 && plan.sources[0]!.isDir && plan.downloads.length === 0 && plan.heredocs.length === 0;
  const intoDir = plan.dest.endsWith('/') || destKind === 'dir' || plan.multiple || onlyDir;
  if (plan.multiple && !plan.dest.endsWith('/') && destKind !== 'dir') {
    throw plan.fail(`When using ${plan.kind} with more than one source file, the destination must be a directory and end with a /`);
  }
  const tarName = (p: string) => p.replace(/^\/+/, '');
  const owner = (item: { uid: number; gid: number }) => plan.owner ?? { uid: item.uid, gid: item.gid };
  // the destination directory (or a file's directory) and what is missing above it
  const dirToMake = intoDir ? destPath : posix.dirname(destPath);
  const comps = dirToMake.split('/').filter(Boolean);
  for (let i = 1; i <= comps.length; i++) {
    const p = `/${comps.slice(0, i).join('/')}`;
    if (kindOf(p) !== 'none') continue;
    const o = i === comps.length && plan.owner ? plan.owner : { uid: 0, gid: 0 };
    await w.addDirectory({ name: tarName(p), mode: 0o755, ...o });
  }
  const links = new Map<string, string>();
  const put = async (item: Item, name: string): Promise<void> => {
    const o = owner(item);
    const mode = plan.chmod ?? item.mode;
    const base = { name: tarName(name), uid: o.uid, gid: o.gid, mtime: item.mtime };
    if (item.kind === 'dir') {
      await w.addDirectory({ ...base, mode });
    } else if (item.kind === 'symlink') {
      await w.addSymlink({ ...base, mode: 0o777 }, item.target ?? '');
    } else {
      const first = item.nlink > 1 ? links.get(item.inode) : undefined;
      if (first !== undefined) return w.addHardlink(base, first);
      if (item.nlink > 1) links.set(item.inode, tarName(name));
      await w.addFile({ ...base, mode, size: item.size }, fileData(item.path, item.size));
    }
  };
  for (const s of plan.sources) {
    if (s.isDir) {
      for (const item of s.items) {
        if (item.rel === '') continue; // the directory itself: its contents go into the destination
        await put(item, `${destPath}/${item.rel}`);
      }
      continue;
    }
    const item = s.items[0]!;
    if (plan.kind === 'ADD' && item.kind === 'file' && isArchive(item.path)) {
      await extractInto(w, item.path, intoDir || destKind === 'none' ? destPath : posix.dirname(destPath), plan);
      continue;
    }
    await put(item, intoDir ? `${destPath}/${posix.basename(s.name)}` : destPath);
  }
  const o = plan.owner ?? { uid: 0, gid: 0 };
  for (const d of plan.downloads) {
    await w.addFile({ name: tarName(intoDir ? `${destPath}/${d.name}` : destPath), mode: plan.chmod ?? 0o600, ...o, mtime: d.mtime }, d.data);
  }
  for (const h of plan.heredocs) {
    await w.addFile({ name: tarName(intoDir ? `${destPath}/${h.name}` : destPath), mode: plan.chmod ?? 0o644, ...o, mtime: Math.floor(Date.now() / 1000) }, Buffer.from(h.body));
  }
}

/** ADD's archive: its entries under DIR (names cleaned; none may climb out) */
async function extractInto(w: EntryWriter, path: string, dir: string, plan: CopyPlan): Promise<void> {
  const under = (raw: string): string | undefined => {
    const clean = posix.normalize(`/${raw}`).replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean === '' || clean.startsWith('..')) return undefined;
    return `${dir}/${clean}`.replace(/^\/+/, '');
  };
  for await (const e of openTarReader(decompressArchive(createReadStream(path)))) {
    const h = e.header;
    const name = under(h.name);
    if (name === undefined) continue;
    const chown = plan.chowned ? plan.owner : undefined;
    const base = { name, mode: plan.chmod ?? h.mode, uid: chown?.uid ?? h.uid, gid: chown?.gid ?? h.gid, mtime: h.mtime.sec, ...(h.xattrs.size ? { xattrs: h.xattrs } : {}) };
    switch (h.type) {
      case 'directory':
        await w.addDirectory(base);
        break;
      case 'file':
        await w.addFile({ ...base, size: h.size }, e.body);
        break;
      case 'symlink':
        await w.addSymlink(base, h.linknameBytes);
        break;
      case 'hardlink': {
        const target = under(h.linkname);
        if (target === undefined) throw plan.fail(`${posix.basename(path)}: hard link ${h.name} points out of the archive`);
        await w.addHardlink(base, target);
        break;
      }
      case 'char':
      case 'block':
      case 'fifo':
        await w.addNode(base, h.type, h.devmajor, h.devminor);
        break;
    }
  }
}
