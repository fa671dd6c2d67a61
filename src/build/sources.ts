/**
 * What COPY and ADD copy: their sources found under a root (the build
 * context, or the filesystem of a stage or image for --from), with
 * wildcards (Go's filepath.Match rules per path component), .dockerignore
 * for the context, and the content digest the layer cache keys on (names,
 * types, modes, link targets and file contents; never mtimes).
 *
 * A source path is resolved one component at a time with lstat: a symlink
 * on the way is followed only inside the root. In the context, one that
 * leads out of it (an absolute target, or `..` past the top), like a source
 * with `..` past the top or an absolute one, is refused, naming the
 * Dockerfile line; in an image, a symlink is resolved inside the image, as
 * the image's own processes see it. Inside a copied directory nothing is
 * followed: symlinks are copied as symlinks. After that resolution no
 * component of a path read here is a symlink, so reading through the
 * root's path (the context's, or /proc/self/fd/N of a detached overlay)
 * stays inside it.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import { type DigestMemo, fileStamp } from './digest-memo.js';
import type { IgnoreRules } from './dockerignore.js';
import { TreeMemo, type TreeSyscalls, type WalkRecord } from './tree-memo.js';

export type ItemKind = 'file' | 'dir' | 'symlink';

export interface Item {
  /** the path below the source ('' for the source itself) */
  rel: string;
  kind: ItemKind;
  /** where to read a file: a path whose components are no symlinks */
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds */
  mtime: number;
  target?: string;
  /** dev:ino, for hard links between the items */
  inode: string;
  nlink: number;
  /** a file's fileStamp and ctime (digest-memo.ts) */
  stamp?: string;
  ctimeMs?: number;
}

export interface Source {
  /** the source's path relative to the root, as matched */
  name: string;
  /** a directory: its contents are copied, not itself */
  isDir: boolean;
  items: Item[];
}

export interface SourceRoot {
  /** the root's path on the host ('/proc/self/fd/N' for an image) */
  path: string;
  /** what it is, in messages: "build context", "stage build" */
  label: string;
  /** the build context: escaping symlinks and paths are refused; else resolved inside */
  strict: boolean;
  ignore?: IgnoreRules;
}

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Go's filepath.Match for one component, as a RegExp */
function componentRe(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

const hasWildcard = (s: string): boolean => /[*?[]/.test(s);

/**
 * REL (components, no '.' or '..') resolved in ROOT: every symlink followed
 * inside it. Undefined when it does not exist; an error for a link out of a
 * strict root.
 */
function resolveIn(root: SourceRoot, rel: string[], fail: (m: string) => MobyDickError): string[] | undefined {
  const done: string[] = [];
  const todo = [...rel];
  let hops = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      if (done.length === 0) {
        if (root.strict) throw fail(`forbidden path outside the ${root.label}`);
        continue;
      }
      done.pop();
      continue;
    }
    const here = [...done, c];
    const st = lstat(posix.join(root.path, ...here));
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw fail('too many levels of symbolic links');
      const target = readlinkSync(posix.join(root.path, ...here), 'utf8');
      if (target.startsWith('/')) {
        if (root.strict) throw fail(`${here.join('/')} is a symlink out of the ${root.label} (to ${target})`);
        done.length = 0;
      }
      todo.unshift(...target.split('/'));
      continue;
    }
    if (todo.length && !st.isDirectory()) return undefined;
    done.push(c);
  }
  return done;
}

/** what an item needs of an lstat (Node's Stats, or statDir's numbers) */
export type ItemStat = Pick<Stats, 'mode' | 'uid' | 'gid' | 'size' | 'nlink' | 'ino' | 'dev' | 'mtimeMs' | 'ctimeMs'>;

const S_IFMT = 0o170000;
const KINDS = new Map<number, ItemKind>([
  [0o040000, 'dir'],
  [0o100000, 'file'],
  [0o120000, 'symlink'],
]);

function itemOf(path: string, rel: string, st: ItemStat): Item | undefined {
  const kind = KINDS.get(st.mode & S_IFMT);
  if (!kind) return undefined; // devices, fifos, sockets of a context are not copied
  return {
    rel,
    kind,
    path,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: kind === 'file' ? st.size : 0,
    mtime: Math.floor(st.mtimeMs / 1000),
    ...(kind === 'symlink' ? { target: readlinkSync(path, 'utf8') } : {}),
    inode: `${st.dev}:${st.ino}`,
    nlink: st.nlink,
    ...(kind === 'file' ? { stamp: fileStamp(st), ctimeMs: st.ctimeMs } : {}),
  };
}

/** copied trees of a context kept from one build to the next (tree-memo.ts) */
export type SourceTrees = TreeMemo<Item>;

let processTrees: SourceTrees | undefined;
/** the trees this process keeps (the API service keeps them across builds) */
export function processTreeMemo(): SourceTrees {
  return (processTrees ??= new TreeMemo<Item>());
}

/** The addon's calls that list a directory, and (with a memo of trees) many again (the addon by default; a test gives its own). */
export type SourceSyscalls = Pick<NativeAddon, 'statDir'> & Partial<TreeSyscalls>;

/**
 * The entries of the directory at PATH and their lstat, in name order
 * (the addon's statDir: one call a directory, no Stats object or path a
 * file; a source tree of thousands of files is listed on every build, cached ones too)
 */
export function statDir(path: string, sys: SourceSyscalls = nativeAddon(), record?: WalkRecord): { name: string; st: ItemStat }[] {
  const [names, v] = sys.statDir(Buffer.from(path));
  record?.add(path, names, v);
  const out = names.map((name, i) => {
    const o = i * 11;
    const st: ItemStat = {
      mode: v[o]!,
      uid: v[o + 1]!,
      gid: v[o + 2]!,
      size: v[o + 3]!,
      nlink: v[o + 4]!,
      ino: v[o + 5]!,
      dev: v[o + 6]!,
      mtimeMs: v[o + 7]! * 1e3 + v[o + 8]! / 1e6,
      ctimeMs: v[o + 9]! * 1e3 + v[o + 10]! / 1e6,
    };
    return { name, st };
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** the items of the directory at PATH (its components no symlinks), CTX_REL its path in the root for .dockerignore */
function walkDir(root: SourceRoot, path: string, ctxRel: string, rel: string, out: Item[], sys: SourceSyscalls, record: WalkRecord | undefined): void {
  for (const { name, st } of statDir(path, sys, record)) {
    const childCtx = ctxRel ? `${ctxRel}/${name}` : name;
    const childPath = `${path}/${name}`;
    const ignored = root.ignore?.excludes(childCtx) ?? false;
    if (ignored && !((st.mode & S_IFMT) === 0o040000 && root.ignore!.mayInclude(childCtx))) continue;
    const childRel = rel ? `${rel}/${name}` : name;
    const item = itemOf(childPath, childRel, st);
    if (!item) continue;
    if (!ignored) out.push(item);
    if (item.kind === 'dir') walkDir(root, childPath, childCtx, childRel, out, sys, record);
  }
}

/** whether A and B are the same item (what a layer and its cache keys take of it) */
function sameItem(a: Item, b: Item): boolean {
  return (
    a.rel === b.rel && a.kind === b.kind && a.path === b.path && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid &&
    a.size === b.size && a.mtime === b.mtime && a.target === b.target && a.inode === b.inode && a.nlink === b.nlink && a.stamp === b.stamp
  );
}

/**
 * The items of the directory SELF (at PATH, NAME in the root): SELF and what
 * is under it. With TREES (the build context's), the items of an earlier
 * walk when nothing under it changed (tree-memo.ts), else a walk kept there.
 */
function dirItems(root: SourceRoot, path: string, name: string, self: Item, sys: SourceSyscalls, trees: SourceTrees | undefined): Item[] {
  const items = [self];
  const statDirs = sys.statDirs?.bind(sys);
  if (!trees || !statDirs) {
    walkDir(root, path, name, '', items, sys, undefined);
    return items;
  }
  const key = `${path}\0${name}\0${root.ignore?.key ?? ''}`;
  const kept = trees.get(key, { statDirs });
  if (kept && sameItem(kept[0]!, self)) return kept;
  const record = trees.record();
  walkDir(root, path, name, '', items, sys, record);
  trees.keep(key, record, items);
  return items;
}

/**
 * The sources PATTERNS name in ROOT. FAIL makes the error of a bad source
 * (the builder names the Dockerfile line). SYS lists the directories
 * copied whole (statDir).
 */
export function findSources(root: SourceRoot, patterns: readonly string[], fail: (m: string) => MobyDickError, sys: SourceSyscalls = nativeAddon(), trees?: SourceTrees): Source[] {
  const out: Source[] = [];
  for (const pattern of patterns) {
    if (root.strict && pattern.startsWith('/')) {
      throw fail(`${pattern}: an absolute source is outside the ${root.label}`);
    }
    const comps = posix.normalize(pattern).split('/').filter((c) => c !== '' && c !== '.');
    if (root.strict && comps[0] === '..') throw fail(`${pattern}: forbidden path outside the ${root.label}`);
    // expand wildcards component by component
    let candidates: string[][] = [[]];
    for (const c of comps) {
      const next: string[][] = [];
      for (const base of candidates) {
        if (!hasWildcard(c)) {
          next.push([...base, c]);
          continue;
        }
        const dir = resolveIn(root, base, fail);
        if (!dir) continue;
        const st = lstat(posix.join(root.path, ...dir));
        if (!st?.isDirectory()) continue;
        const re = componentRe(c);
        for (const name of readdirSync(posix.join(root.path, ...dir)).sort()) if (re.test(name)) next.push([...dir, name]);
      }
      candidates = next;
    }
    let found = 0;
    for (const cand of candidates) {
      const resolved = resolveIn(root, cand, fail);
      if (!resolved) continue;
      const name = resolved.join('/');
      if (name && root.ignore?.excludes(name)) continue;
      const path = posix.join(root.path, ...resolved);
      const st = lstat(path);
      if (!st) continue;
      const self = itemOf(path, '', st);
      if (!self) continue;
      found++;
      const items = self.kind === 'dir' ? dirItems(root, path, name, self, sys, trees) : [self];
      out.push({ name: cand.join('/') || '.', isDir: self.kind === 'dir', items });
    }
    if (found === 0) {
      throw fail(`${pattern}: not found in the ${root.label}${root.ignore && !root.ignore.empty ? ' (or excluded by .dockerignore)' : ''}`);
    }
  }
  return out;
}

/** fileDigest's read buffer, one for all (it is synchronous): a new megabyte per file cost ~80 µs a file */
let readBuf: Buffer | undefined;

/** the sha256 of the file at PATH (no symlink followed at its end) */
export function fileDigest(path: string): string {
  const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const h = createHash('sha256');
    const buf = (readBuf ??= Buffer.allocUnsafe(1 << 20));
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/**
 * The content digest of SOURCES: names, kinds, modes, link targets and
 * contents; not times, not owners. MEMO (the build context's only: its
 * paths are the host's) gives the digests of files unchanged since.
 */
export function sourcesDigest(sources: readonly Source[], memo?: DigestMemo, trees?: SourceTrees): string {
  const h = createHash('sha256');
  const digestOf = (i: Item): string =>
    memo && i.stamp !== undefined && i.ctimeMs !== undefined ? memo.digest(i.path, i.stamp, i.ctimeMs, () => fileDigest(i.path)) : fileDigest(i.path);
  for (const s of sources) {
    h.update(`source\0${s.name}\0${s.isDir}\0`);
    // a tree unchanged since (findSources with TREES): its lines as made then
    let lines = trees?.linesOf(s.items);
    if (!lines) {
      let text = '';
      for (const i of s.items) text += `${i.rel}\0${i.kind}\0${i.mode.toString(8)}\0${i.target ?? ''}\0${i.kind === 'file' ? digestOf(i) : ''}\0`;
      lines = Buffer.from(text);
      trees?.keepLines(s.items, lines);
    }
    h.update(lines);
  }
  return `sha256:${h.digest('hex')}`;
}

export function sourceError(message: string): MobyDickError {
  return new MobyDickError('BUILD', message);
}
