/**
 * `start`'s side of the exec fifo (runc's protocol): the parked init opens
 * the fifo for writing once `start` opens it for reading, writes one byte,
 * and execs. Reading without blocking, `start` waits for that byte while
 * the init lives. A short command on a busy machine may write, run and end
 * between one read and the next look at the process: so a last read comes
 * after the process is found gone, and only a byte that never came is a
 * failure.
 */
export interface StartByteWait {
  /** one read without blocking: true when the byte came */
  readByte(): boolean;
  /** whether the init still lives */
  alive(): boolean;
  /** between reads */
  pause(): void;
  /** reads at most (the init lives but never writes) */
  limit: number;
}

/** true when the init's byte came, false when the init ended (or the limit passed) without it */
export function awaitStartByte(w: StartByteWait): boolean {
  for (let tries = 0; !w.readByte(); tries++) {
    if (!w.alive() || tries > w.limit) return w.readByte();
    w.pause();
  }
  return true;
}
