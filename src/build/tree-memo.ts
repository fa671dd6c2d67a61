/**
 * A memo of the source trees COPY lists (sources.ts: a directory copied
 * whole, walked with statDir), kept in memory by a long-lived process (the
 * API service's builds), so that a rebuild of a context of thousands of
 * files neither makes an item of each file nor looks each one's digest up
 * again: one statDirs call lists every directory the walk listed, and when
 * the bytes it answers (names and lstat numbers: mode, owner, size, nlink,
 * inode, device, mtime, ctime) equal those of the walk, the items made then
 * are taken whole, and with them the digest lines made of them
 * (sourcesDigest).
 *
 * Why that is enough: every item of the tree comes from one of those
 * listings, and a file written since has another ctime. Except one written
 * in the same clock tick as the listing: a tree with an entry whose ctime
 * is within two seconds of the walk's start is not kept (git's "racily
 * clean" files, as digest-memo.ts). A name that is not UTF-8 (statDir
 * gives it as U+FFFD) keeps its tree out too. At most MAX_ITEMS items are
 * kept in all, the trees used last.
 */
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';

/** ctime this close to the walk's start (ms): the tree is not kept */
const RACY_MS = 2000;
/** the items kept in all trees at most (~0.8 KB each on the heap: 3,031 items took 2.3 MB) */
const MAX_ITEMS = 30_000;
/** statDir's numbers a name, and where the ctime is among them */
const FIELDS = 11;
const CTIME_SEC = 9;
const CTIME_NSEC = 10;

/** The addon's call that lists directories again to compare them (the addon by default; a test gives its own). */
export type TreeSyscalls = Pick<NativeAddon, 'statDirs'>;

/** What a walk listed, as the statDirs answer would be, recorded while it walks. */
export class WalkRecord {
  readonly dirs: Buffer[] = [];
  readonly parts: Buffer[] = [];
  /** an entry that must not be trusted later (changed too near the walk, a name not UTF-8) */
  unsafe = false;

  /** STARTED_MS: when the walk began (Date.now()) */
  constructor(private readonly startedMs: number) {}

  /** the directory PATH's listing as statDir gave it (NAMES in readdir's order and their numbers V) */
  add(path: string, names: readonly string[], v: Float64Array): void {
    this.dirs.push(Buffer.from(path));
    const count = new Uint32Array([names.length]);
    this.parts.push(Buffer.from(count.buffer), Buffer.from(v.buffer, v.byteOffset, names.length * FIELDS * 8));
    const text = names.length ? `${names.join('\0')}\0` : '';
    if (text.includes('\uFFFD')) this.unsafe = true;
    this.parts.push(Buffer.from(text));
    const racy = this.startedMs - RACY_MS;
    for (let i = 0; i < names.length && !this.unsafe; i++) {
      if (v[i * FIELDS + CTIME_SEC]! * 1e3 + v[i * FIELDS + CTIME_NSEC]! / 1e6 >= racy) this.unsafe = true;
    }
  }
}

interface Tree<T> {
  dirs: Buffer[];
  listing: Buffer;
  items: T[];
}

/** Trees of items T (sources.ts's Item), by the key their caller gives. */
export class TreeMemo<T> {
  private readonly trees = new Map<string, Tree<T>>();
  private kept = 0;
  /** the digest lines of a kept tree's items (sourcesDigest's) */
  private readonly lines = new WeakMap<readonly T[], Buffer>();

  /** NOW: the clock the walks' start is taken from (a test's own) */
  constructor(
    private readonly maxItems: number = MAX_ITEMS,
    private readonly now: () => number = Date.now,
  ) {}

  /** a record for a walk starting now, for keep() */
  record(): WalkRecord {
    return new WalkRecord(this.now());
  }

  /** the items kept under KEY, when every directory the walk listed is as SYS lists it now; else undefined (and forgotten) */
  get(key: string, sys: TreeSyscalls = nativeAddon()): T[] | undefined {
    const tree = this.trees.get(key);
    if (!tree) return undefined;
    const now = sys.statDirs(tree.dirs);
    this.forget(key);
    if (!now || !now.equals(tree.listing)) return undefined;
    // the most recently used last (Map order), for trimming
    this.trees.set(key, tree);
    this.kept += tree.items.length;
    return tree.items;
  }

  /** keeps ITEMS, made by a walk that RECORD followed, under KEY (unless the record is unsafe or too large) */
  keep(key: string, record: WalkRecord, items: T[]): void {
    this.forget(key);
    if (record.unsafe || items.length > this.maxItems) return;
    this.trees.set(key, { dirs: record.dirs, listing: Buffer.concat(record.parts), items });
    this.kept += items.length;
    for (const k of this.trees.keys()) {
      if (this.kept <= this.maxItems) break;
      this.forget(k);
    }
  }

  /** whether ITEMS are a kept tree's (their digest lines may be kept with them) */
  holds(items: readonly T[]): boolean {
    for (const t of this.trees.values()) if (t.items === items) return true;
    return false;
  }

  /** the digest lines kept with ITEMS */
  linesOf(items: readonly T[]): Buffer | undefined {
    return this.lines.get(items);
  }

  /** keeps LINES, the digest lines of ITEMS, when ITEMS are a kept tree's */
  keepLines(items: readonly T[], lines: Buffer): void {
    if (this.holds(items)) this.lines.set(items, lines);
  }

  private forget(key: string): void {
    const t = this.trees.get(key);
    if (!t) return;
    this.trees.delete(key);
    this.kept -= t.items.length;
  }
}
