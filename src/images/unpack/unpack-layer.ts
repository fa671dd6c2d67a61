/**
 * Unpacks an image layer (a tar stream, uncompressed, gzip or zstd) into a
 * directory in the form overlayfs takes as a lower or upper directory.
 *
 *   const { entries, bytes } = await unpackLayer(createReadStream(blob), tmpDir, {
 *     layerDigest: 'sha256:…', mediaType: layer.mediaType });
 *
 * Exact: owners (numeric uid/gid; uname/gname are ignored, as Docker does),
 * modes with setuid, setgid and sticky bits (chown first: it clears them),
 * hard links, symlinks with their targets as they are (absolute ones too),
 * device nodes, FIFOs, extended attributes as raw bytes (set after chown,
 * which clears security.capability), mtimes with nanoseconds (directories
 * last, after their contents). Whiteouts become what overlayfs expects:
 * `.wh.NAME` a 0/0 character device NAME owned as the entry says,
 * `.wh..wh..opq` the xattr trusted.overlay.opaque=y on its directory; other
 * `.wh..wh.*` names (aufs metadata such as `.wh..wh.plnk`) and everything
 * under them are skipped, as containerd and Docker do. A whiteout of a name
 * the same layer has is ignored: whiteouts hide lower layers only (OCI image
 * spec). `.wh.`, `.wh..` and `.wh...` name nothing and are refused.
 *
 * Safe (design.md's rule, from runc, Docker and containerd CVEs): every path
 * of an entry — its name, a hard link's target, a whiteout's directory — is
 * cleaned lexically (`..` never climbs above the root), its directory is
 * opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) relative to an
 * fd of the layer directory, and the operation is a *at call on that fd with
 * a single-component name (the addon refuses '/', "." and ".."). So symlinks
 * the layer made are followed as if the layer directory were "/": entry
 * `a -> /etc` then `a/passwd` writes LAYER/etc/passwd, as containerd does; no
 * entry can create, change or delete anything outside the layer directory.
 * The last component is never followed: an existing entry is replaced (a
 * directory stays when the new entry is a directory too), not written
 * through.
 *
 * Why not a library: node-tar rewrites absolute symlink targets, skips
 * device nodes, FIFOs and xattrs, and refuses to extract through symlinks;
 * tar-stream decodes pax xattr values as UTF-8 and corrupts binary ones
 * (file capabilities), and neither resolves paths inside a root fd. The tar
 * format is small (tar-reader.ts); the unpacking is where the care is.
 *
 * Speed (bench/unpack.sh): names are acted on synchronously, in archive
 * order, on the main thread (a libuv round trip per syscall would cost more
 * than the syscall). Regular files without xattrs are written, finished and
 * closed by the addon's worker threads (file-queue.ts) while the main
 * thread parses on: created on the main thread and handed over as fds, or,
 * where nothing can be in the way — a file in one input chunk, in a
 * directory this unpack made, under a name it has not made there before —
 * created by the worker too. Anything that could then meet such a file — an
 * entry of the same directory entry (by inode and name, whatever path led
 * there), a hard link, a whiteout, a removal, a missing parent — drains the
 * worker first, so the result is the one archive order gives.
 *
 * A failed unpack leaves a partial directory that `rm -r` (fs.rmSync
 * recursive) removes: nothing in it is immutable. Call unpackLayer with the
 * temporary directory the store renames into place.
 */
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, constants as fsc, readdirSync, readSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { MobyDickError } from '../../errors.js';
import { errnoMessage, errnoName } from '../../linux/errno.js';
import { nativeAddon } from '../../helper/native-addon.js';
import { compressionOfMediaType, decompress, sniffCompression } from '../decompress.js';
import { type FileQueue, FileOpKind, fileQueue } from './file-queue.js';
import type { LayerSyscalls } from '../../helper/layer-syscalls.js';
import { type TarHeader, TarParser, type TarSink, type TarTime } from '../tar/tar-reader.js';
import { SinkWriter } from '../tar/sink-writer.js';
import type { EntryWriter } from '../tar/tar-writer.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT } from '../../linux/file-modes.js';
import { opaqueXattr } from '../overlay-xattrs.js';

export interface UnpackOptions {
  /** the layer's digest, to name it in errors */
  layerDigest: string;
  /** the layer's media type; checked to be a tar layer. The compression itself is sniffed. */
  mediaType?: string;
  /**
   * sees every byte of the uncompressed tar, in order, the end-of-archive
   * padding too (to hash it); CHUNK is valid only during the call
   */
  observe?: (chunk: Buffer) => void;
  /**
   * unpacking for a rootless store, in a process that is root of the user's
   * user namespace (jail/rootless-store.ts): opaque directories get
   * user.overlay.opaque (overlay's `userxattr`), device nodes other than
   * whiteouts are skipped (no user namespace may make one), as are the
   * layer's own trusted.* and *.overlay.* xattrs; each skip is told to WARN
   */
  rootless?: { warn: (message: string) => void };
}

export interface UnpackResult {
  /** tar entries read (pax and GNU extension headers not counted) */
  entries: number;
  /** bytes of the uncompressed tar stream */
  bytes: number;
  /** bytes of regular file data written */
  fileBytes: number;
}

/**
 * Unpacks the layer INPUT into DEST (created with mode 0755 if missing; it
 * should be new and empty). On failure throws MobyDickError('ARCHIVE')
 * naming the layer and the entry; DEST is left partly filled for the caller
 * to remove.
 *
 * SYS: the syscalls it unpacks with (default: the addon's; a unit test
 * gives a fake, test/helpers/fs-layer-syscalls.ts). The addon's file
 * writers are the process's (file-queue.ts): the first unpack's syscalls
 * queue every later unpack's files too.
 */
export async function unpackLayer(
  input: AsyncIterable<Buffer>,
  dest: string,
  opts: UnpackOptions,
  sys: LayerSyscalls = nativeAddon(),
): Promise<UnpackResult> {
  return unpackInto(dest, opts, sys, async (unpacker, parser) => {
    let bytes = 0;
    for await (const chunk of decompress(input)) {
      bytes += chunk.length;
      opts.observe?.(chunk);
      // the rest of the stream is still read after the end marker, so that a
      // caller hashing it as it passes sees all of it
      if (!parser.ended) {
        parser.write(chunk);
        unpacker.flush();
      }
    }
    return bytes;
  });
}

/**
 * Unpacks the layer in the file PATH into DEST, as unpackLayer does. An
 * uncompressed layer is mapped into memory (LayerSyscalls.mapFile) and
 * parsed in place: file data goes from the page cache straight to the
 * addon's worker, which writes it from there, with no copy into buffers of
 * ours first (reading it in 1 MiB pieces was a sixth of the main thread's
 * time: bench/README.md, "Layer unpacking"). The file must not shrink while
 * it is unpacked (the store's blobs are never written again). A compressed
 * one, or what cannot be mapped (a fifo, an empty file), is streamed
 * through unpackLayer. SYS as unpackLayer's.
 */
export async function unpackLayerFile(path: string, dest: string, opts: UnpackOptions, sys: LayerSyscalls = nativeAddon()): Promise<UnpackResult> {
  if (opts.mediaType) compressionOfMediaType(opts.mediaType);
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY);
  } catch (e) {
    throw new MobyDickError('ARCHIVE', `layer ${opts.layerDigest}: cannot open ${path}: ${(e as Error).message}`, {
      subject: path,
      errnoName: (e as NodeJS.ErrnoException).code,
    });
  }
  let owned = true;
  try {
    const head = Buffer.alloc(4);
    const st = fstatSync(fd);
    const mapped = st.isFile() && st.size > 0 && sniffCompression(head.subarray(0, readSync(fd, head, 0, 4, 0))) === 'none'
      ? mapLayer(sys, fd, st.size)
      : undefined;
    if (!mapped) {
      // streamed from the same fd, which the stream then owns (it closes it
      // once no read of its own is pending, also after a failure)
      owned = false;
      const stream = createReadStream('', { fd, highWaterMark: 1 << 20, ...(st.isFile() ? { start: 0 } : {}) });
      try {
        return await unpackLayer(stream, dest, opts, sys);
      } finally {
        stream.destroy();
      }
    }
    closeSync(fd);
    owned = false;
    return await unpackInto(dest, opts, sys, async (unpacker, parser) => {
      const all = Buffer.from(mapped);
      for (let off = 0; off < all.length; off += CHUNK) {
        const chunk = all.subarray(off, Math.min(off + CHUNK, all.length));
        opts.observe?.(chunk);
        if (!parser.ended) {
          parser.write(chunk);
          unpacker.flush();
        }
        // other work of the process (another unpack, a server) gets its turn
        if (off % YIELD_EVERY === 0) await new Promise(setImmediate);
      }
      return all.length;
    });
  } finally {
    if (owned) closeSync(fd);
  }
}

/** the layer file FD mapped, or undefined where it cannot be (a file system without mmap, a runtime without external buffers) */
function mapLayer(sys: LayerSyscalls, fd: number, size: number): ArrayBuffer | undefined {
  try {
    return sys.mapFile(fd, size);
  } catch {
    return undefined;
  }
}

/** how much of a mapped layer is parsed at a time, and how often the event loop gets a turn */
const CHUNK = 1 << 20;
const YIELD_EVERY = 4 * CHUNK;

/** unpackLayer and unpackLayerFile: FEED parses the whole input, returns its bytes */
async function unpackInto(
  dest: string,
  opts: UnpackOptions,
  sys: LayerSyscalls,
  feed: (unpacker: LayerUnpacker, parser: TarParser) => Promise<number>,
): Promise<UnpackResult> {
  if (opts.mediaType) compressionOfMediaType(opts.mediaType);
  mkdirSync(dest, { recursive: true, mode: 0o755 });
  const rootFd = openSync(dest, fsc.O_RDONLY | fsc.O_DIRECTORY);
  const unpacker = new LayerUnpacker(sys, rootFd, `layer ${opts.layerDigest}`, true, opts.rootless);
  if (readdirSync(dest).length === 0) unpacker.freshDirs.add(fstatSync(rootFd).ino);
  const parser = new TarParser(unpacker);
  let bytes: number;
  try {
    bytes = await feed(unpacker, parser);
    parser.finish();
    unpacker.finish();
  } catch (e) {
    if (e === unpacker.reported) throw e;
    // the tar stream or its compression: no entry to name
    // (or a write that failed after its entry: its errno is kept, ENOSPC matters to the caller)
    const code = (e as NodeJS.ErrnoException).code;
    const err = e instanceof MobyDickError ? e : new MobyDickError('ARCHIVE', (e as Error).message, typeof code === 'string' ? { errnoName: code } : {});
    throw new MobyDickError(err.code, `layer ${opts.layerDigest}: ${err.message}`, err.details);
  } finally {
    unpacker.close();
  }
  return { entries: unpacker.entries, bytes, fileBytes: unpacker.fileBytes };
}

/**
 * Extracts the tar INPUT (uncompressed) inside ROOTFD as unpackLayer does —
 * every path resolved inside the root, exact owners, modes, links, devices
 * and xattrs — but with `.wh.` names as plain names (`cp` into a container,
 * or onto the host). REWRITE gives each entry's header as it is to be
 * applied (its name relative to the root), or undefined to skip the entry.
 * ROOTFD is closed at the end. LABEL names what is extracted in errors.
 */
export async function extractArchive(
  input: AsyncIterable<Buffer>,
  rootFd: number,
  label: string,
  rewrite: (h: TarHeader) => TarHeader | undefined,
  sys: LayerSyscalls = nativeAddon(),
): Promise<UnpackResult> {
  const unpacker = new LayerUnpacker(sys, rootFd, label, false);
  let skipping = false;
  const sink: TarSink = {
    entry(h) {
      const r = rewrite(h);
      skipping = r === undefined;
      if (r) unpacker.entry(r);
    },
    data(chunk) {
      if (!skipping) unpacker.data(chunk);
    },
    end() {
      if (!skipping) unpacker.end();
    },
  };
  const parser = new TarParser(sink);
  let bytes = 0;
  await unpacking(unpacker, label, async () => {
    for await (const chunk of input) {
      bytes += chunk.length;
      if (!parser.ended) {
        parser.write(chunk);
        unpacker.flush();
      }
    }
    parser.finish();
  });
  return { entries: unpacker.entries, bytes, fileBytes: unpacker.fileBytes };
}

/**
 * Runs BODY, which feeds UNPACKER, then finishes it; a failure is named by
 * LABEL (the unpacker's own report passes as it is), and the unpacker is
 * closed whatever happens.
 */
async function unpacking(unpacker: LayerUnpacker, label: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    unpacker.finish();
  } catch (e) {
    if (e === unpacker.reported) throw e;
    const err = e instanceof MobyDickError ? e : new MobyDickError('ARCHIVE', (e as Error).message);
    throw new MobyDickError(err.code, `${label}: ${err.message}`, err.details);
  } finally {
    unpacker.close();
  }
}

/**
 * As extractArchive, with the entries handed over directly: PRODUCE writes
 * them to an EntryWriter (sink-writer.ts) that feeds the unpacker, no tar
 * in between. The unpacker's queued files go to its worker every few
 * entries, as extractArchive hands them over after each input chunk.
 */
export async function extractEntries(
  rootFd: number,
  label: string,
  rewrite: (h: TarHeader) => TarHeader | undefined,
  produce: (w: EntryWriter) => Promise<void>,
  sys: LayerSyscalls = nativeAddon(),
): Promise<UnpackResult> {
  const unpacker = new LayerUnpacker(sys, rootFd, label, false);
  let skipping = false;
  let pending = 0;
  let bytes = 0;
  const sink: TarSink = {
    entry(h) {
      const r = rewrite(h);
      skipping = r === undefined;
      if (r) unpacker.entry(r);
    },
    data(chunk) {
      bytes += chunk.length;
      pending += chunk.length;
      if (!skipping) unpacker.data(chunk);
    },
    end() {
      if (!skipping) unpacker.end();
    },
  };
  const afterEntry = (): void => {
    pending += 512;
    if (pending < FLUSH_BYTES) return;
    pending = 0;
    unpacker.flush();
  };
  await unpacking(unpacker, label, async () => {
    const w = new SinkWriter(sink, afterEntry);
    await produce(w);
    await w.finish();
    unpacker.flush();
  });
  return { entries: unpacker.entries, bytes, fileBytes: unpacker.fileBytes };
}

/** extractEntries hands the queued files over after about this much (data, and a header's worth an entry): a read stream's chunk */
const FLUSH_BYTES = 64 * 1024;

const PROC_SUPER_MAGIC = 0x9fa0;
const OPAQUE = Buffer.from('y');
const EMPTY = Buffer.alloc(0);
/** names remembered at most (a number each, in a Set); past that, the worker creates no more files */
const MAX_TRACKED = 1_000_000;
/** directory fds kept open for their times at most (past that, directories are found again by path) */
const MAX_KEPT_DIRS = 1024;
/** parent directory fds kept open at most */
const MAX_CACHED = 128;

interface DeferredDir {
  path: string;
  ino: number;
  /** the directory, kept open (-1: found again by path and inode) */
  fd: number;
  atime: TarTime;
  mtime: TarTime;
}

/** the components of a tar name, cleaned as if it were below "/" (latin1 strings carry the bytes) */
export function cleanComponents(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

/**
 * A small integer for the directory entry NAME in the directory inode INO
 * (FNV-1a of the name, mixed with the inode): the same entry always gives
 * the same number; two entries rarely do, and then the second only drains
 * the worker (as if the name were seen before) or is written on the main
 * thread. (Strings, "ino/name", were made and hashed for every entry: a
 * Set of small integers does without the allocations.)
 */
function entryKey(ino: number, name: Buffer): number {
  let h = 0x811c9dc5 ^ Math.imul(ino | 0, 0x9e3779b1) ^ Math.imul((ino / 0x100000000) | 0, 0x85ebca6b);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name[i]!, 0x01000193);
  return h & 0x3fffffff;
}

/** where the name B ends, without a trailing "/" */
function nameEnd(b: Buffer): number {
  const n = b.length;
  return n > 0 && b[n - 1] === 0x2f ? n - 1 : n;
}

/**
 * For a relative name without empty, "." or ".." components (a trailing "/"
 * allowed): the index of its last slash before nameEnd, -1 if none; -2 for
 * any other name. Read from the bytes, without making a string.
 */
function plainName(b: Buffer): number {
  const end = nameEnd(b);
  if (end === 0) return -2;
  let start = 0; // of the current component
  let slash = -1;
  for (let i = 0; i <= end; i++) {
    if (i < end && b[i] !== 0x2f) continue;
    const len = i - start;
    // "", "." and ".." components
    if (len === 0 || (b[start] === 0x2e && (len === 1 || (len === 2 && b[start + 1] === 0x2e)))) return -2;
    if (i < end) slash = i;
    start = i + 1;
  }
  return slash;
}

class LayerUnpacker implements TarSink {
  entries = 0;
  fileBytes = 0;
  private header: TarHeader | undefined;
  /** the file being written on the main thread (one with xattrs), or -1 */
  private file = -1;
  /** the file whose data goes to the worker, or -1; PIECES: how much of its data was queued */
  private queued = -1;
  private pieces = 0;
  /** a file the worker may create (dir -1: none), until its data shows whether it is in one piece */
  private waitingDir = -1;
  private waitingName: Buffer = EMPTY;
  private readonly parents = new Map<string, { fd: number; ino: number }>();
  /** the inode of the directory parent() last returned */
  private parentIno = -1;
  /** directories (inodes) this unpack made, and entryKey() of what it made in any */
  readonly freshDirs = new Set<number>();
  private readonly created = new Set<number>();
  /** the worker's queue (one per process) */
  private readonly queue: FileQueue<LayerUnpacker>;
  /** its queued files that failed (errno), handed over by whichever unpacker drained */
  readonly failed: { header: TarHeader; errno: number }[] = [];
  /** parent fds dropped from the cache, to close once nothing uses them */
  private readonly stale: number[] = [];
  /** stale fds to close once the worker is past the last file queued when they went stale */
  private readonly closing: { fd: number; after: number }[] = [];
  private readonly dirs: DeferredDir[] = [];
  private keptDirs = 0;
  private procChecked = false;

  constructor(
    private readonly sys: LayerSyscalls,
    private readonly root: number,
    /** names what is unpacked in errors: "layer sha256:…" */
    private readonly label: string,
    /** `.wh.` names are whiteouts (a layer), or plain names (an archive for `cp`) */
    private readonly whiteouts: boolean,
    /** UnpackOptions.rootless */
    private readonly rootless?: { warn: (message: string) => void },
  ) {
    this.queue = fileQueue(sys);
  }

  entry(h: TarHeader): void {
    this.entries++;
    this.header = h;
    try {
      if (this.stale.length || this.closing.length) this.closeStale();
      this.apply(h);
    } catch (e) {
      throw this.named(e);
    }
  }

  data(chunk: Buffer): void {
    this.fileBytes += chunk.length;
    try {
      const dir = this.waitingDir;
      if (dir >= 0) {
        this.waitingDir = -1;
        const h = this.header!;
        if (chunk.length === h.size) {
          this.queue.create(this, h, dir, this.waitingName, chunk);
          return;
        }
        // in parts: created here, the fd to the worker
        this.queued = this.createFile(dir, this.waitingName, h, true);
        this.pieces = 0;
      }
      if (this.queued >= 0) {
        const h = this.header!;
        if (this.pieces === 0 && chunk.length === h.size) {
          // the common case: the whole file in one input chunk
          this.queue.add(this, h, FileOpKind.Whole, this.queued, chunk);
          this.queued = -1;
        } else {
          this.queue.add(this, h, FileOpKind.Append, this.queued, chunk);
          this.pieces += chunk.length;
        }
        return;
      }
      if (this.file < 0) return;
      let off = 0;
      while (off < chunk.length) off += writeSync(this.file, chunk, off, chunk.length - off);
    } catch (e) {
      throw this.named(e);
    }
  }

  end(): void {
    const h = this.header!;
    if (this.waitingDir >= 0) {
      // an empty file
      const dir = this.waitingDir;
      this.waitingDir = -1;
      try {
        this.queue.create(this, h, dir, this.waitingName, EMPTY);
      } catch (e) {
        throw this.named(e);
      }
      return;
    }
    if (this.queued >= 0) {
      // written in parts, or empty
      const fd = this.queued;
      this.queued = -1;
      try {
        this.queue.add(this, h, FileOpKind.End, fd, EMPTY);
      } catch (e) {
        throw this.named(e);
      }
      return;
    }
    if (this.file < 0) return;
    const fd = this.file;
    this.file = -1;
    try {
      this.metadata(fd, EMPTY, h, true);
    } catch (e) {
      throw this.named(e);
    } finally {
      closeSync(fd);
    }
  }

  /** hands what this input chunk queued to the worker */
  flush(): void {
    try {
      // failed: this unpack's files, or (handed over by another unpack's drain) already known
      if (this.queue.flush() || this.failed.length) this.drain();
    } catch (e) {
      throw this.named(e);
    }
  }

  /**
   * Creates the regular file NAME (replacing what is there): its fd, to
   * write on the main thread (WORKER false: the entry has xattrs, set after
   * the data and the owner) or to hand to the worker. A root:root file is
   * created with its permission bits: the worker then needs neither fchown
   * nor fchmod, and the file is never more open than it will be.
   */
  private createFile(dir: number, name: Buffer, h: TarHeader, worker: boolean): number {
    const mode = worker && h.uid === 0 && h.gid === 0 ? h.mode & 0o777 : 0o600;
    let fd = -1;
    this.replacing(dir, name, false, () => {
      try {
        fd = this.sys.createFileAt(dir, name, mode);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EMFILE' || !this.queue.busy) throw e;
        this.drain(); // the worker holds fds of files not yet written: they are closed once it is done
        fd = this.sys.createFileAt(dir, name, mode);
      }
    });
    return fd;
  }

  /** waits until every queued file is written; a file that failed fails the unpack that queued it */
  drain(): void {
    if (this.queue.busy) {
      for (const { owner, header, errno } of this.queue.drain()) owner.failed.push({ header, errno });
    }
    const failed = this.failed[0];
    if (!failed) return;
    this.failed.length = 0;
    this.header = failed.header;
    throw errnoError(failed.errno, 'writing the file');
  }

  /** directory times, now that nothing more is written into them */
  finish(): void {
    try {
      this.drain();
      this.header = undefined;
      this.setDirTimes();
    } catch (e) {
      throw this.named(e);
    }
  }

  private setDirTimes(): void {
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const d = this.dirs[i]!;
      if (d.fd >= 0) {
        // the directory this entry made or kept (if a later entry replaced it,
        // its times do not matter, and the new one has an entry of its own)
        const fd = d.fd;
        d.fd = -1;
        this.keptDirs--;
        try {
          this.sys.utimesAt(fd, EMPTY, d.atime.sec, d.atime.nsec, d.mtime.sec, d.mtime.nsec);
        } finally {
          closeSync(fd);
        }
        continue;
      }
      let fd: number;
      try {
        fd = this.sys.openInRoot(this.root, bytes(d.path));
      } catch {
        continue; // replaced or removed by a later entry
      }
      try {
        const st = this.sys.statAt(fd, EMPTY);
        if (st && st[1] === d.ino) this.sys.utimesAt(fd, EMPTY, d.atime.sec, d.atime.nsec, d.mtime.sec, d.mtime.nsec);
      } finally {
        closeSync(fd);
      }
    }
  }

  close(): void {
    if (this.file >= 0) closeSync(this.file);
    this.file = -1;
    if (this.queued >= 0) {
      // a file cut short: the worker may be writing it, so it closes it too
      try {
        this.queue.add(this, this.header!, FileOpKind.End, this.queued, EMPTY);
      } catch {
        // cleanup after a failure
      }
      this.queued = -1;
    }
    try {
      this.drain();
    } catch {
      // the unpack failed already; this is cleanup
    }
    this.dropParents();
    for (const fd of this.stale.splice(0)) closeSync(fd);
    for (const { fd } of this.closing.splice(0)) closeSync(fd);
    for (const d of this.dirs) if (d.fd >= 0) closeSync(d.fd);
    closeSync(this.root);
  }

  /** the error this unpacker threw, already naming the layer and the entry */
  reported: MobyDickError | undefined;

  /** E as a MobyDickError naming the layer and the entry being unpacked */
  named(e: unknown): MobyDickError {
    const h = this.header;
    const where = h ? ` entry ${JSON.stringify(h.name)} (at byte ${h.offset}):` : '';
    if (e instanceof MobyDickError) {
      this.reported = new MobyDickError(e.code, `${this.label}:${where} ${e.message}`, {
        ...e.details,
        subject: e.details.subject ?? h?.name,
      });
    } else {
      const err = e as NodeJS.ErrnoException;
      this.reported = new MobyDickError('ARCHIVE', `${this.label}:${where} cannot unpack: ${err.message}`, {
        step: 'unpack',
        subject: h?.name,
        errnoName: err.code,
        errno: typeof err.errno === 'number' ? Math.abs(err.errno) : undefined,
        hint: hintFor(err.code, this.rootless !== undefined),
      });
    }
    return this.reported;
  }

  private refuse(message: string): MobyDickError {
    return new MobyDickError('ARCHIVE', message, {
      step: 'unpack',
      subject: this.header?.name,
      hint: 'the layer is malformed or crafted; do not use this image',
    });
  }

  private apply(h: TarHeader): void {
    const nb = h.nameBytes;
    let parentPath: string;
    let base: string;
    let name: Buffer;
    const slash = plainName(nb);
    if (slash >= -1) {
      // the common case, without splitting: "a/b/c" or "a/b/c/" (latin1 strings carry the bytes)
      const end = nameEnd(nb);
      parentPath = slash < 0 ? '' : nb.toString('latin1', 0, slash);
      base = nb.toString('latin1', slash + 1, end);
      name = nb.subarray(slash + 1, end);
    } else {
      const comps = cleanComponents(nb.toString('latin1'));
      if (comps.length === 0) {
        // "./": the layer's root directory itself
        if (h.type !== 'directory') throw this.refuse(`a ${h.type} entry names the layer root`);
        this.metadata(this.root, EMPTY, h, true);
        this.deferDir('', this.root, h, false);
        return;
      }
      base = comps[comps.length - 1]!;
      parentPath = comps.slice(0, -1).join('/');
      name = bytes(base);
    }
    if (this.whiteouts) {
      // aufs metadata directories and what is in them
      if (parentPath.includes('.wh..wh.') && parentPath.split('/').some((c) => c.startsWith('.wh..wh.'))) return;
      if (base.startsWith('.wh.')) return this.whiteout(h, parentPath, base);
    }
    const dir = this.parent(parentPath, true);
    // names a directory entry whatever path led to it
    const key = entryKey(this.parentIno, name);
    const seen = this.created.has(key);
    if (seen) this.drain(); // a file the worker creates under this name must be there before this entry replaces it
    const tracking = this.created.size < MAX_TRACKED;
    if (tracking && !seen) this.created.add(key);
    switch (h.type) {
      case 'file':
        if (h.xattrs.size !== 0) this.file = this.createFile(dir, name, h, false);
        else if (tracking && !seen && this.freshDirs.has(this.parentIno)) {
          // the worker may create it: nothing can be in its way
          this.waitingDir = dir;
          this.waitingName = name;
        } else {
          this.queued = this.createFile(dir, name, h, true);
          this.pieces = 0;
        }
        return; // the data, then metadata (end)
      case 'directory':
        return this.directory(dir, name, parentPath ? `${parentPath}/${base}` : base, h);
      case 'symlink':
        this.replacing(dir, name, false, () => this.sys.symlinkAt(h.linknameBytes, dir, name));
        this.metadata(dir, name, h, false);
        return;
      case 'hardlink':
        return this.hardlink(dir, name, parentPath ? `${parentPath}/${base}` : base, h);
      case 'char':
      case 'block':
      case 'fifo': {
        const type = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
        if (this.rootless && h.type !== 'fifo' && !(h.type === 'char' && h.devmajor === 0 && h.devminor === 0)) {
          this.rootless.warn(`${this.label}: ${h.type} device ${JSON.stringify(h.name)} (${h.devmajor}:${h.devminor}) skipped: a rootless store cannot hold device nodes`);
          return;
        }
        this.replacing(dir, name, false, () => this.sys.mknodAt(dir, name, type | 0o600, h.devmajor, h.devminor));
        this.metadata(dir, name, h, true);
        return;
      }
    }
  }

  /**
   * A root:root directory is made with its permission bits, as a file is
   * (and is then never more open than it will be); its owner and mode are
   * changed only where they differ from the entry's (a setgid parent gives
   * its group). Its fd is kept for its times, and goes to the parent cache:
   * its entries are next.
   */
  private directory(dir: number, name: Buffer, path: string, h: TarHeader): void {
    let made = true;
    const mode = h.uid === 0 && h.gid === 0 ? h.mode & 0o777 : 0o700;
    this.replacing(dir, name, true, () => this.sys.mkdirAt(dir, name, mode), () => (made = false));
    const fd = this.sys.openDirAt(dir, name);
    let kept = false;
    try {
      const st = this.sys.statAt(fd, EMPTY)!;
      const chown = st[2] !== h.uid || st[3] !== h.gid;
      if (chown) this.sys.chownAt(fd, EMPTY, h.uid, h.gid);
      if (chown || (st[0] & 0o7777) !== h.mode) this.sys.chmodAt(fd, EMPTY, h.mode);
      this.setXattrs(fd, EMPTY, h);
      const keep = this.keptDirs < MAX_KEPT_DIRS;
      this.dirs.push({ path, ino: st[1], fd: keep ? fd : -1, atime: h.atime ?? h.mtime, mtime: h.mtime });
      if (keep) this.keptDirs++;
      kept = keep;
      if (made) this.freshDirs.add(st[1]);
      if (!this.parents.has(path)) this.cacheParent(path, this.sys.dupFd(fd), st[1]);
    } finally {
      if (!kept) closeSync(fd);
    }
  }

  private hardlink(dir: number, name: Buffer, path: string, h: TarHeader): void {
    // the target may be a file the worker is to create, under any of its
    // names (one it writes through an fd is linked as it is: the inode gets
    // its data and metadata all the same)
    this.drain();
    const target = cleanComponents(h.linknameBytes.toString('latin1'));
    if (target.length === 0) throw this.refuse(`hard link to the layer root ${JSON.stringify(h.linkname)}`);
    if (target.join('/') === path) return; // a link to itself: already there
    const targetParent = target.slice(0, -1).join('/');
    const targetName = bytes(target[target.length - 1]!);
    this.replacing(dir, name, false, () => {
      // resolved inside the root like any name: a target through a symlink
      // or with ".." stays in the layer
      const tdir = this.parent(targetParent, false);
      this.sys.linkAt(tdir, targetName, dir, name);
    });
  }

  private whiteout(h: TarHeader, parentPath: string, base: string): void {
    if (base === '.wh..wh..opq') {
      const dir = this.parent(parentPath, true);
      this.sys.setXattrAt(dir, EMPTY, opaqueXattr(this.rootless !== undefined), OPAQUE);
      return;
    }
    if (base.startsWith('.wh..wh.')) return; // aufs metadata
    const target = base.slice(4);
    if (target === '' || target === '.' || target === '..') {
      throw this.refuse(`whiteout ${JSON.stringify(h.name)} names no file`);
    }
    const dir = this.parent(parentPath, true);
    const name = bytes(target);
    const key = entryKey(this.parentIno, name);
    if (this.created.has(key)) this.drain(); // the worker may be about to create it
    else if (this.created.size < MAX_TRACKED) this.created.add(key);
    try {
      this.sys.mknodAt(dir, name, S_IFCHR, 0, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return; // in this layer: stays (whiteouts hide lower layers)
      throw e;
    }
    this.sys.chownAt(dir, name, h.uid, h.gid);
  }

  /**
   * CREATE, and if NAME exists: keep a directory for a directory, else
   * remove it and create again. (A file the worker writes through an fd may
   * be removed: it writes an inode no longer linked.)
   */
  private replacing(dir: number, name: Buffer, isDir: boolean, create: () => void, kept?: () => void): void {
    try {
      create();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    this.drain(); // no file the worker is to create may be under what is removed
    const st = this.sys.statAt(dir, name);
    const existingDir = st !== undefined && (st[0] & S_IFMT) === S_IFDIR;
    if (isDir && existingDir) {
      kept?.();
      return;
    }
    if (st) {
      if (existingDir) rmSync(procPath(this.checkProc(), dir, name), { recursive: true, force: true });
      else this.sys.unlinkAt(dir, name, false);
      this.dropParents(dir);
    }
    create();
  }

  /**
   * H's xattrs on NAME in DIR. Rootless: trusted.* (root's of the host) and
   * overlay's own (*.overlay.*: a layer must not speak for overlayfs) are
   * skipped with a warning.
   */
  private setXattrs(dir: number, name: Buffer, h: TarHeader): void {
    for (const [k, v] of h.xattrs) {
      if (this.rootless && (k.startsWith('trusted.') || /^[a-z]+\.overlay\./.test(k))) {
        this.rootless.warn(`${this.label}: xattr ${k} of ${JSON.stringify(h.name)} skipped: not settable in a rootless store`);
        continue;
      }
      this.sys.setXattrAt(dir, name, k, v);
    }
  }

  /** owner, then mode (chown clears setuid/setgid), then xattrs (chown clears security.capability), then times */
  private metadata(dir: number, name: Buffer, h: TarHeader, chmod: boolean): void {
    this.sys.chownAt(dir, name, h.uid, h.gid);
    if (chmod) this.sys.chmodAt(dir, name, h.mode);
    if (h.xattrs.size) {
      if (name.length) this.checkProc();
      this.setXattrs(dir, name, h);
    }
    if (h.type !== 'directory') {
      const a = h.atime ?? h.mtime;
      this.sys.utimesAt(dir, name, a.sec, a.nsec, h.mtime.sec, h.mtime.nsec);
    }
  }

  /** the times of the directory FD (PATH), for when nothing more is written into it; KEEP: FD is kept open until then */
  private deferDir(path: string, fd: number, h: TarHeader, keep: boolean): number {
    const st = this.sys.statAt(fd, EMPTY)!;
    this.dirs.push({ path, ino: st[1], fd: keep ? fd : -1, atime: h.atime ?? h.mtime, mtime: h.mtime });
    if (keep) this.keptDirs++;
    return st[1];
  }

  /** an fd of the directory PATH in the layer (cached); CREATE makes missing directories 0755 root:root */
  private parent(path: string, create: boolean): number {
    const cached = this.parents.get(path);
    if (cached !== undefined) {
      this.parentIno = cached.ino;
      return cached.fd;
    }
    let fd: number;
    if (path === '') fd = this.root;
    else {
      try {
        fd = this.sys.openInRoot(this.root, bytes(path));
      } catch (e) {
        if (!create || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.drain(); // a file the worker is to create may be in the way
        fd = this.makeParents(path);
      }
    }
    this.parentIno = this.sys.statAt(fd, EMPTY)![1];
    this.cacheParent(path, fd, this.parentIno);
    return fd;
  }

  private cacheParent(path: string, fd: number, ino: number): void {
    if (this.parents.size >= MAX_CACHED) this.dropParents();
    this.parents.set(path, { fd, ino });
  }

  /** like `mkdir -p` inside the root: each missing component made in its resolved parent */
  private makeParents(path: string): number {
    const comps = path.split('/');
    let fd = this.root;
    for (let i = 0; i < comps.length; i++) {
      const prefix = bytes(comps.slice(0, i + 1).join('/'));
      let next: number;
      try {
        next = this.sys.openInRoot(this.root, prefix);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        // a dangling symlink here makes mkdirat fail with EEXIST: refused
        this.sys.mkdirAt(fd, bytes(comps[i]!), 0o755);
        next = this.sys.openDirAt(fd, bytes(comps[i]!));
        const ino = this.sys.statAt(next, EMPTY)![1];
        this.freshDirs.add(ino);
        // made here: an entry of this name later finds it (and drains)
        if (this.created.size < MAX_TRACKED) {
          this.created.add(entryKey(fd === this.root ? this.rootIno() : this.sys.statAt(fd, EMPTY)![1], bytes(comps[i]!)));
        }
      }
      if (fd !== this.root) closeSync(fd);
      fd = next;
    }
    return fd;
  }

  /**
   * Forgets the cached parent fds except KEEP (something was removed: they
   * may be stale). The current entry and files the worker is to create may
   * still use them: they are closed once the worker is past every file
   * queued before the next entry (closeStale). Waiting for the worker
   * instead (a drain) each time the cache was full stalled the main thread
   * for 15 % of an unpack.
   */
  private dropParents(keep = -1): void {
    for (const [path, p] of this.parents) {
      if (p.fd === keep || p.fd === this.root) continue;
      this.stale.push(p.fd);
      this.parents.delete(path);
    }
  }

  private closeStale(): void {
    const after = this.queue.lastId;
    for (const fd of this.stale.splice(0)) this.closing.push({ fd, after });
    const done = this.queue.doneId;
    let n = 0;
    while (n < this.closing.length && this.closing[n]!.after <= done) closeSync(this.closing[n++]!.fd);
    if (n) this.closing.splice(0, n);
  }

  private rootInode = -1;

  private rootIno(): number {
    if (this.rootInode < 0) this.rootInode = this.sys.statAt(this.root, EMPTY)![1];
    return this.rootInode;
  }

  /** design.md: check /proc really is procfs before acting through it */
  private checkProc(): string {
    if (!this.procChecked) {
      if (statfsSync('/proc').type !== PROC_SUPER_MAGIC) {
        throw new MobyDickError('ARCHIVE', '/proc is not procfs: refusing to act through /proc/self/fd', {
          subject: '/proc',
          hint: 'mount procfs on /proc',
        });
      }
      this.procChecked = true;
    }
    return '/proc/self/fd';
  }
}

function errnoError(errno: number, what: string): NodeJS.ErrnoException {
  const code = errnoName(errno);
  return Object.assign(new Error(`${what}: ${errnoMessage(errno)}`), { code, errno });
}

function procPath(proc: string, dir: number, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${proc}/${dir}/`), name]);
}

function hintFor(code: string | undefined, rootless: boolean): string | undefined {
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return 'unpacking a layer needs root (CAP_CHOWN, CAP_MKNOD, CAP_SYS_ADMIN for trusted xattrs)';
    case 'EOPNOTSUPP':
      return 'the filesystem of the image store does not support extended attributes or device nodes';
    case 'ENOSPC':
      return 'the filesystem of the image store is full';
    case 'EINVAL':
      if (!rootless) return undefined;
      return 'rootless: an owner of the layer may be beyond your /etc/subuid or /etc/subgid range; give your user a range of 65536 ids';
    case 'ENOTDIR':
    case 'ELOOP':
    case 'EEXIST':
      return 'the layer is malformed: a path goes through something that is not a directory';
    default:
      return undefined;
  }
}
