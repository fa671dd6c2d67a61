/**
 * The queue of regular files that the addon's worker thread writes while the
 * main thread parses on (LayerSyscalls.queueFiles, native/addon/layer.c).
 *
 * Operations are gathered into one batch per input chunk and handed over in
 * one native call: the numbers go into a reused Float64Array, the names into
 * a reused Buffer, and the data stays where the tar parser found it (views
 * of the chunk; the addon holds the chunk's memory until it is done). A call
 * per file, with its arguments converted and a reference per Buffer, cost
 * more on the main thread than the parsing of the file's headers
 * (bench/README.md, "Layer unpacking").
 *
 * The worker is one per process, so is this queue: every unpack in the
 * process adds to it, and a drain waits for all of them. Each operation has
 * an id; the queue remembers what it needs to report or redo an operation
 * (QueuedFile) until the worker is past it.
 */
import type { LayerSyscalls } from './layer-syscalls.js';
import type { TarHeader } from './tar-reader.js';

/** the numbers of an operation, in this order (enum file_op in layer.c) */
export const enum FileOp {
  Kind,
  Id,
  Slot,
  Dir,
  NameOff,
  NameLen,
  DataOff,
  DataLen,
  Uid,
  Gid,
  Mode,
  AtimeSec,
  AtimeNsec,
  MtimeSec,
  MtimeNsec,
  Fields,
}

export const enum FileOpKind {
  /** create, write, finish, close: a file whose data came in one piece */
  Whole,
  /** create and write the first piece; the fd stays in the slot */
  Begin,
  Append,
  /** chown, chmod, times and close of the file in the slot */
  End,
}

/** what an operation needs to be reported (its entry) or redone (a whole file whose name existed) */
export interface QueuedFile<Owner> {
  readonly owner: Owner;
  readonly header: TarHeader;
  readonly kind: FileOpKind;
  readonly dir: number;
  readonly name: Buffer;
  readonly data: Buffer;
}

/** operations a batch holds at most, and the bytes of their names */
const MAX_OPS = 1024;
const NAMES_BYTES = 64 * 1024;
/** the main thread waits while the worker is this far behind */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
const MAX_QUEUED_OPS = 8192;
const EMPTY = Buffer.alloc(0);

export class FileQueue<Owner> {
  private readonly ops = new Float64Array(MAX_OPS * FileOp.Fields);
  private readonly names = Buffer.allocUnsafe(NAMES_BYTES);
  private count = 0;
  private namesLen = 0;
  /** the memory the batch's data lies in */
  private data: ArrayBuffer | null = null;
  /** operations not known to be done: jobs[i] has id jobBase + i */
  private readonly jobs: QueuedFile<Owner>[] = [];
  private jobBase = 1;

  constructor(private readonly sys: LayerSyscalls) {}

  /** true while operations are queued or not yet handed over */
  get busy(): boolean {
    return this.jobs.length > 0;
  }

  /**
   * Adds an operation (handed over at the next flush); its id. NAME and the
   * owner's header only for Whole and Begin; DATA a view of an input chunk.
   */
  add(owner: Owner, header: TarHeader, kind: FileOpKind, slot: number, dir: number, name: Buffer, data: Buffer): number {
    let buf: ArrayBuffer | null = null;
    if (data.length) {
      // a SharedArrayBuffer (no stream gives one) is copied to ordinary memory
      if (!(data.buffer instanceof ArrayBuffer)) data = Buffer.from(data);
      buf = data.buffer as ArrayBuffer;
      if (this.data !== buf && this.data !== null) this.flush();
    }
    if (this.count === MAX_OPS || this.namesLen + name.length > NAMES_BYTES) this.flush();
    if (buf) this.data = buf;
    const id = this.jobBase + this.jobs.length;
    const o = this.count++ * FileOp.Fields;
    const ops = this.ops;
    const a = header.atime ?? header.mtime;
    ops[o + FileOp.Kind] = kind;
    ops[o + FileOp.Id] = id;
    ops[o + FileOp.Slot] = slot;
    ops[o + FileOp.Dir] = dir;
    ops[o + FileOp.NameOff] = this.namesLen;
    ops[o + FileOp.NameLen] = name.length;
    ops[o + FileOp.DataOff] = data.byteOffset;
    ops[o + FileOp.DataLen] = data.length;
    ops[o + FileOp.Uid] = header.uid;
    ops[o + FileOp.Gid] = header.gid;
    ops[o + FileOp.Mode] = header.mode;
    ops[o + FileOp.AtimeSec] = a.sec;
    ops[o + FileOp.AtimeNsec] = a.nsec;
    ops[o + FileOp.MtimeSec] = header.mtime.sec;
    ops[o + FileOp.MtimeNsec] = header.mtime.nsec;
    if (name.length) this.namesLen += name.copy(this.names, this.namesLen);
    this.jobs.push({ owner, header, kind, dir, name, data: kind === FileOpKind.Whole ? data : EMPTY });
    return id;
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
    // forget what is done (a failure keeps everything for drain to report)
    if (!failed && doneId >= this.jobBase) {
      this.jobs.splice(0, doneId - this.jobBase + 1);
      this.jobBase = doneId + 1;
    }
    return failed !== 0;
  }

  /** waits until every operation is done: the failed ones with their errno, in order */
  drain(): { id: number; job: QueuedFile<Owner>; errno: number }[] {
    this.flush();
    const errors = this.sys.drainFiles();
    const failed: { id: number; job: QueuedFile<Owner>; errno: number }[] = [];
    for (let i = 0; i < errors.length; i += 2) {
      const job = this.jobs[errors[i]! - this.jobBase];
      if (job) failed.push({ id: errors[i]!, job, errno: errors[i + 1]! });
    }
    failed.sort((a, b) => a.id - b.id);
    this.jobBase += this.jobs.length;
    this.jobs.length = 0;
    return failed;
  }
}

let queue: FileQueue<unknown> | undefined;

/** the process's queue (the addon has one worker) */
export function fileQueue<Owner>(sys: LayerSyscalls): FileQueue<Owner> {
  return (queue ??= new FileQueue(sys)) as FileQueue<Owner>;
}
