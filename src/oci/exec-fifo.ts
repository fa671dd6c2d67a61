/**
 * `start`'s side of the exec fifo (runc's protocol): the parked init opens
 * the fifo for writing once `start` opens it for reading, writes one byte,
 * and execs. Reading without blocking, `start` waits for that byte while
 * the init lives (the pause waits in the event loop: epoll on the fifo,
 * or a few milliseconds). A short command on a busy machine may write, run and end
 * between one read and the next look at the process: so a last read comes
 * after the process is found gone, and only a byte that never came is a
 * failure.
 */
import { RecordSplitter, type StatusRecord } from '../helper/plan-wire.js';

export interface StartByteWait {
  /** one read without blocking: true when the byte came */
  readByte(): boolean;
  /** whether the init still lives */
  alive(): boolean;
  /** between reads: until the fifo is readable, or a short while */
  pause(): Promise<unknown> | void;
  /** reads at most (the init lives but never writes) */
  limit: number;
}

/** true when the init's byte came, false when the init ended (or the limit passed) without it */
export async function awaitStartByte(w: StartByteWait): Promise<boolean> {
  for (let tries = 0; !w.readByte(); tries++) {
    if (!w.alive() || tries > w.limit) return w.readByte();
    await w.pause();
  }
  return true;
}

/** What `start` learnt from the fifo: whether the byte came, and the records behind it (none when the command runs). */
export interface StartReport {
  started: boolean;
  records: StatusRecord[];
}

/**
 * After the byte, the init keeps its end of the fifo open until exec closes
 * it; a step that fails in between (the seccomp filter, the exec itself)
 * writes its error record there first. `start` reads on to the end, so a
 * command that never ran is an error of `start`, as runc's "exec failed".
 */
export interface ExecReportWait {
  /** one read without blocking: bytes, 'none' while the init holds its end, 'end' once it is closed */
  read(): Buffer | 'none' | 'end';
  /** between reads (until the fd is readable, or a short while); TRIES reads came back empty so far */
  pause(tries: number): Promise<unknown> | void;
  /** empty reads at most (an init that never gets to exec) */
  limit: number;
  /** what an earlier reader of the same fd took past its own last record */
  carried?: CarriedRecords;
}

/** Records one reader took past its last (whole, and the splitter's cut one), for the next reader. */
export interface CarriedRecords {
  records: readonly StatusRecord[];
  splitter: RecordSplitter;
}

/** What the init reported between the byte and exec: no records when the command runs. */
export async function awaitExec(w: ExecReportWait): Promise<StatusRecord[]> {
  const splitter = w.carried?.splitter ?? new RecordSplitter();
  const records: StatusRecord[] = [...(w.carried?.records ?? [])];
  for (let tries = 0; ; ) {
    const r = w.read();
    if (r === 'end') return records;
    if (r !== 'none') {
      records.push(...splitter.push(r));
      continue;
    }
    if (++tries > w.limit) return records;
    await w.pause(tries);
  }
}

/** How the helper's records ended for waitReady: "ready" (with what came behind it), or not. */
export type ReadyOutcome = { ready: true; records: StatusRecord[]; carried: CarriedRecords } | { ready: false; records: StatusRecord[] };

/**
 * The records of CHUNKS (the helper's status fd, each read once it is readable) up to
 * "ready", each given to ON_RECORD first; stops at the end, or after a read
 * that brought an error or the process's end. A released process that fails
 * at once (exec -d of a program the kernel cannot run) writes its error
 * right behind "ready": on a busy machine one read takes both, so what came
 * after "ready" is carried to the next reader (awaitExec).
 */
export async function untilReady(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, onRecord: (r: StatusRecord) => void): Promise<ReadyOutcome> {
  const splitter = new RecordSplitter();
  const records: StatusRecord[] = [];
  for await (const chunk of chunks) {
    const got = splitter.push(chunk);
    for (const [i, rec] of got.entries()) {
      records.push(rec);
      onRecord(rec);
      if (rec.kind === 'ready') return { ready: true, records, carried: { records: got.slice(i + 1), splitter } };
    }
    if (records.some((r) => r.kind === 'error' || r.kind === 'exit' || r.kind === 'signal')) break;
  }
  return { ready: false, records };
}
