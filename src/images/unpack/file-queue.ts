/**
 * The queue of regular files that the addon's worker threads write while the
 * main thread parses on (LayerSyscalls.queueFiles, native/addon/layer-writer.c).
 *
 * A file is created in one of two ways. The main thread creates it (in
 * archive order, with every check on its name) and the worker gets its fd
 * and writes, chowns, chmods, times and closes it (add): nothing a later
 * entry does to the name (replace it, link it, remove its directory) needs
 * to wait for that; at worst the worker writes an inode that is no longer
 * linked. Or, where the caller knows nothing can be in the way until the
 * worker is past it, the worker creates it too (create): the main thread
 * then skips the most costly syscall of an entry, and the caller drains
 * before anything touches that name. In a fresh layer most files are the
 * second kind.
 *
 * Operations are gathered into one batch per input chunk and handed over in
 * one native call: the numbers go into a reused Float64Array, the names
 * into a reused Buffer (the addon copies them), and the data stays where
 * the tar parser found it (views of the chunk; the addon holds the chunk's
 * memory until it is done). A call per file, with its arguments converted
 * and a reference per Buffer, cost about as much main-thread time as
 * parsing the file's headers (bench/README.md, "Layer unpacking").
 *
 * The workers are the process's, so is this queue: every unpack in the
 * process adds to it, and a drain waits for all of them. Each operation has
 * an id; the queue remembers its owner and header, to report a failure,
 * until every operation up to it is done ("the worker is past it").
 *
 * Two workers where the machine has two cores or more (one otherwise;
 * $MOBY_DICK_UNPACK_THREADS, 1 to 8, says how many): the writing is most
 * of an unpack's work, and a second thread halved the main thread's
 * waiting for it (bench/README.md, "Layer unpacking"). The addon keeps the
 * pieces of one file on one thread, in order.
 */
import { availableParallelism } from 'node:os';
import type { LayerSyscalls } from '../../helper/layer-syscalls.js';
import type { TarHeader } from '../tar/tar-reader.js';

/** the numbers of an operation, in this order (enum file_op in native/addon/layer-writer.c) */
export const enum FileOp {
  Kind,
  Id,
  Fd,
  DataOff,
  DataLen,
  Uid,
  Gid,
  Mode,
  AtimeSec,
  AtimeNsec,
  MtimeSec,
  MtimeNsec,
  Dir,
  NameOff,
  NameLen,
  Fields,
}

export const enum FileOpKind {
  /** write, finish (owner, mode, times), close: a file whose data came in one piece */
  Whole,
  /** write a piece */
  Append,
  /** finish and close */
  End,
  /** create NAME in DIR, then as Whole */
  Create,
}

/** operations a batch holds at most, and the bytes of their names */
const MAX_OPS = 1024;
const NAMES_BYTES = 64 * 1024;
/**
 * The main thread waits while the worker is this far behind. Every queued
 * file holds an fd: 1024 of them stay well below the usual limits (Node
 * raises the soft RLIMIT_NOFILE to the hard one; an EMFILE drains anyway).
 */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const MAX_QUEUED_OPS = 1024;
const EMPTY = Buffer.alloc(0);

export class FileQueue<Owner> {
  private readonly ops = new Float64Array(MAX_OPS * FileOp.Fields);
  private readonly names = Buffer.allocUnsafe(NAMES_BYTES);
  private count = 0;
  private namesLen = 0;
  /** the memory the batch's data lies in */
  private data: ArrayBuffer | null = null;
  /** operations not known to be done: owners[i] and headers[i] have id jobBase + i */
  private readonly owners: Owner[] = [];
  private readonly headers: TarHeader[] = [];
  private jobBase = 1;

  constructor(private readonly sys: LayerSyscalls) {
    sys.fileWorkers(writerThreads(process.env.MOBY_DICK_UNPACK_THREADS));
  }

  /** the id up to which every operation is done */
  doneId = 0;

  /** true while operations are queued or not yet handed over */
  get busy(): boolean {
    return this.owners.length > 0;
  }

  /** the id of the last operation added */
  get lastId(): number {
    return this.jobBase + this.owners.length - 1;
  }

  /**
   * Adds an operation on the file FD (created by the caller; the worker
   * closes it with Whole and End), handed over at the next flush; DATA a
   * view of an input chunk. HEADER names the entry if it fails.
   */
  add(owner: Owner, header: TarHeader, kind: FileOpKind, fd: number, data: Buffer): void {
    this.push(owner, header, kind, fd, -1, EMPTY, data);
  }

  /**
   * Adds the creation of NAME (one component) in the directory DIRFD, which
   * must stay open until the worker is past it, with DATA as its content.
   * Only where nothing can be in its way: an existing name fails the unpack.
   */
  create(owner: Owner, header: TarHeader, dirFd: number, name: Buffer, data: Buffer): void {
    this.push(owner, header, FileOpKind.Create, -1, dirFd, name, data);
  }

  private push(owner: Owner, header: TarHeader, kind: FileOpKind, fd: number, dir: number, name: Buffer, data: Buffer): void {
    let buf: ArrayBuffer | null = null;
    if (data.length) {
      // a SharedArrayBuffer (no stream gives one) is copied to ordinary memory
      if (!(data.buffer instanceof ArrayBuffer)) data = Buffer.from(data);
      buf = data.buffer as ArrayBuffer;
      if (this.data !== buf && this.data !== null) this.flush();
    }
    if (this.count === MAX_OPS || this.namesLen + name.length > NAMES_BYTES) this.flush();
    if (buf) this.data = buf;
    const o = this.count++ * FileOp.Fields;
    const ops = this.ops;
    const a = header.atime ?? header.mtime;
    ops[o + FileOp.Kind] = kind;
    ops[o + FileOp.Id] = this.jobBase + this.owners.length;
    ops[o + FileOp.Fd] = fd;
    ops[o + FileOp.DataOff] = data.byteOffset;
    ops[o + FileOp.DataLen] = data.length;
    ops[o + FileOp.Uid] = header.uid;
    ops[o + FileOp.Gid] = header.gid;
    ops[o + FileOp.Mode] = header.mode;
    ops[o + FileOp.AtimeSec] = a.sec;
    ops[o + FileOp.AtimeNsec] = a.nsec;
    ops[o + FileOp.MtimeSec] = header.mtime.sec;
    ops[o + FileOp.MtimeNsec] = header.mtime.nsec;
    ops[o + FileOp.Dir] = dir;
    ops[o + FileOp.NameOff] = this.namesLen;
    ops[o + FileOp.NameLen] = name.length;
    if (name.length) this.namesLen += name.copy(this.names, this.namesLen);
    this.owners.push(owner);
    this.headers.push(header);
  }

  /** hands the gathered operations to the worker, then waits while it is too far behind; true if any failed (drain says which) */
  flush(): boolean {
    if (this.count === 0) return false;
    const count = this.count;
    this.count = 0;
    this.namesLen = 0;
    const data = this.data;
    this.data = null;
    this.sys.queueFiles(data, this.ops, count, this.names);
    const [doneId, failed] = this.sys.waitFiles(MAX_QUEUED_BYTES, MAX_QUEUED_OPS);
    return this.settle(doneId, failed);
  }

  private settle(doneId: number, failed: number): boolean {
    this.doneId = doneId;
    // forget what is done (a failure keeps everything for drain to report)
    if (!failed && doneId >= this.jobBase) {
      const n = doneId - this.jobBase + 1;
      this.owners.splice(0, n);
      this.headers.splice(0, n);
      this.jobBase = doneId + 1;
    }
    return failed !== 0;
  }

  /** waits until every operation is done: the failed ones with their errno, in order */
  drain(): { owner: Owner; header: TarHeader; errno: number }[] {
    this.flush();
    const errors = this.sys.drainFiles();
    const failed: { id: number; owner: Owner; header: TarHeader; errno: number }[] = [];
    for (let i = 0; i < errors.length; i += 2) {
      const at = errors[i]! - this.jobBase;
      if (at >= 0 && at < this.owners.length) failed.push({ id: errors[i]!, owner: this.owners[at]!, header: this.headers[at]!, errno: errors[i + 1]! });
    }
    failed.sort((a, b) => a.id - b.id);
    this.jobBase += this.owners.length;
    this.owners.length = 0;
    this.headers.length = 0;
    this.doneId = this.jobBase - 1;
    return failed;
  }
}

/**
 * The queue is the process's, under a global symbol: the addon's job ids
 * are the process's, and build/lib.mjs and build/unpack.mjs, each with its
 * own copy of this module, may both be loaded (an unpack through one after
 * one through the other resolved before its files were written).
 */
const QUEUE = Symbol.for('moby-dick.file-queue');

/** how many threads write files: SETTING (1 to 8) if it says, else two if the machine has two cores */
export function writerThreads(setting: string | undefined): number {
  const n = Number(setting);
  if (setting !== undefined && setting !== '' && Number.isInteger(n) && n >= 1 && n <= 8) return n;
  return Math.min(2, availableParallelism());
}

/** the process's queue (the addon's workers are the process's) */
export function fileQueue<Owner>(sys: LayerSyscalls): FileQueue<Owner> {
  const g = globalThis as { [QUEUE]?: FileQueue<unknown> };
  return (g[QUEUE] ??= new FileQueue(sys)) as FileQueue<Owner>;
}
