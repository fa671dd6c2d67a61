/**
 * The helper's file descriptors, made with the addon: stdio (inherited,
 * piped to us, or /dev/null), the plan-and-control pipe, the status pipe.
 */
import { closeSync, read } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { NativeAddon } from './native-addon.js';

/** "null": /dev/null on all three (a monitored container's stdio is the monitor's own) */
export type StdioMode = 'inherit' | 'pipe' | 'null';

/**
 * The helper's fds 0-4: stdio (inherited, piped to us, or /dev/null for a
 * stdin that is not interactive), the plan and control pipe, the status pipe.
 */
export class HelperFds {
  readonly child: number[] = [];
  readonly streams: { stdin: Writable | null; stdout: Readable | null; stderr: Readable | null } = {
    stdin: null,
    stdout: null,
    stderr: null,
  };
  readonly control: number;
  readonly status: number;
  private readonly childOnly: number[] = [];

  constructor(addon: Pick<NativeAddon, 'pipe'>, mode: StdioMode, interactive: boolean) {
    // net only when piping, so that the CLI (stdio inherited) never loads it
    const { Socket } = mode === 'pipe' ? process.getBuiltinModule('node:net') : { Socket: null };
    const stdio = (fd: number, readable: boolean): number => {
      if (Socket === null) return fd;
      const [r, w] = addon.pipe();
      const [ours, theirs] = readable ? [r, w] : [w, r];
      this.childOnly.push(theirs);
      const stream = new Socket({ fd: ours, readable, writable: !readable });
      if (fd === 0) this.streams.stdin = stream;
      else if (fd === 1) this.streams.stdout = stream;
      else this.streams.stderr = stream;
      return theirs;
    };
    if (mode === 'null') this.child.push(-1, -1, -1);
    else this.child.push(interactive ? stdio(0, false) : -1, stdio(1, true), stdio(2, true));
    const [planRead, planWrite] = addon.pipe();
    const [statusRead, statusWrite] = addon.pipe();
    this.child.push(planRead, statusWrite);
    this.childOnly.push(planRead, statusWrite);
    this.control = planWrite;
    this.status = statusRead;
  }

  /** After the spawn: our copies of the child's ends go. */
  closeChildEnds(): void {
    for (const fd of this.childOnly) closeSync(fd);
  }
}

/** Reads FD to its end, in the thread pool, handing each chunk to ON_DATA; closes it. */
export function readUntilEnd(fd: number, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(65536);
    const next = (): void =>
      read(fd, buf, 0, buf.length, null, (err, n) => {
        if (err) {
          closeSync(fd);
          reject(err);
        } else if (n === 0) {
          closeSync(fd);
          resolve();
        } else {
          onData(Buffer.from(buf.subarray(0, n)));
          next();
        }
      });
    next();
  });
}

