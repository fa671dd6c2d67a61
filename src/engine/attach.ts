/**
 * The attach client: connects to a container monitor's attach socket
 * (native/src/attach.c) and relays stdin, stdout and stderr, as `docker
 * attach`, `start -a` and `run` without -d do.
 *
 * Protocol, frames both ways: [type u8][length u32 BE][length bytes].
 *   monitor -> client: type 1 stdout (with a tty, all output), 2 stderr,
 *     3 exit: the bytes are the exit record (the exit file's JSON), the
 *     last frame before the monitor closes the connection.
 *   client -> monitor: type 0 stdin bytes (at most 65536 a frame),
 *     1 window size (length 4: rows u16 BE, cols u16 BE),
 *     2 close the container's stdin (length 0; ignored with a tty),
 *     3 "I handle the exit" (length 0; the first frame, with handlesExit),
 *     4 "exit handled" (length 0; after the exit frame, from exitHandled()),
 *     5 "stdin once" (length 0; with stdinOnce): when our input ends, however
 *       it ends (we hang up, we are killed), the monitor closes the
 *       container's stdin, as Docker's StdinOnce.
 * A client that sent 3 gets the exit frame and the monitor keeps the
 * connection open: on 4 it skips its exit command (`container-exited`, a
 * whole Node process), on our hang-up without 4 (we died, or close()) it
 * runs it as always. It waits for at most 10 s.
 * A client receives output from when it connects (the log holds the past).
 * A client more than 256 KiB behind holds the container's output back for up
 * to a second; still behind then, the monitor disconnects it.
 */
import { createConnection, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { type ExitRecord, parseExitRecord } from '../helper/monitor-ops.js';

export const OUT_STDOUT = 1;
export const OUT_STDERR = 2;
export const OUT_EXIT = 3;
export const IN_STDIN = 0;
export const IN_RESIZE = 1;
export const IN_CLOSE_STDIN = 2;
export const IN_HANDLES_EXIT = 3;
export const IN_EXIT_HANDLED = 4;
export const IN_STDIN_ONCE = 5;
export const MAX_STDIN_FRAME = 65536;

function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const f = Buffer.allocUnsafe(5 + payload.length);
  f[0] = type;
  f.writeUInt32BE(payload.length, 1);
  payload.copy(f, 5);
  return f;
}

/** Frames carrying DATA to the container's stdin. */
export function stdinFrames(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += MAX_STDIN_FRAME) parts.push(frame(IN_STDIN, data.subarray(off, off + MAX_STDIN_FRAME)));
  return Buffer.concat(parts);
}

export function resizeFrame(rows: number, cols: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt16BE(Math.min(Math.max(0, rows), 0xffff), 0);
  p.writeUInt16BE(Math.min(Math.max(0, cols), 0xffff), 2);
  return frame(IN_RESIZE, p);
}

export function closeStdinFrame(): Buffer {
  return frame(IN_CLOSE_STDIN);
}

/** "I handle the exit": the monitor waits for exitHandledFrame() or our hang-up before its exit command. */
export function handlesExitFrame(): Buffer {
  return frame(IN_HANDLES_EXIT);
}

/** "Stdin once": the monitor closes the container's stdin when our input ends, our hang-up and death included. */
export function stdinOnceFrame(): Buffer {
  return frame(IN_STDIN_ONCE);
}

/** "Exit handled": what the exit command would do is done; the monitor skips it. */
export function exitHandledFrame(): Buffer {
  return frame(IN_EXIT_HANDLED);
}

export interface OutputFrame {
  /** 1 stdout, 2 stderr, 3 exit record */
  stream: number;
  data: Buffer;
}

/** Splits the monitor's output into frames, across chunk borders. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): OutputFrame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: OutputFrame[] = [];
    let off = 0;
    while (this.pending.length - off >= 5) {
      const len = this.pending.readUInt32BE(off + 1);
      if (this.pending.length - off - 5 < len) break;
      out.push({ stream: this.pending[off]!, data: Buffer.from(this.pending.subarray(off + 5, off + 5 + len)) });
      off += 5 + len;
    }
    this.pending = this.pending.subarray(off);
    return out;
  }
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** Docker's --detach-keys: comma-separated "ctrl-<a-z@[\]^_>" or single characters. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes = spec.split(',').map((key) => {
    const k = key.trim();
    if (k.length > 1 && k.toLowerCase().startsWith('ctrl-') && k.length === 6) {
      const c = k[5]!.toLowerCase();
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      if (c in CTRL_SPECIAL) return CTRL_SPECIAL[c]!;
    } else if (k.length === 1 && k.charCodeAt(0) < 128) {
      return k.charCodeAt(0);
    }
    throw new MobyDickError('USAGE', `invalid detach key ${JSON.stringify(k)}`, {
      subject: spec,
      hint: 'give keys as "ctrl-<value>" (a-z, @, [, \\, ], ^, _) or single characters, separated by commas',
    });
  });
  return Buffer.from(bytes);
}

/**
 * Watches stdin for the detach sequence. Bytes that could begin it are held
 * back; they are passed on when the next byte does not continue it (Docker's
 * way), and the sequence itself never reaches the container.
 */
export class DetachKeys {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.keys.length && b === this.keys[this.matched]) {
        if (++this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      if (this.matched) {
        out.push(...this.keys.subarray(0, this.matched));
        this.matched = 0;
        if (b === this.keys[0]) {
          this.matched = 1;
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface AttachOptions {
  /** what to send to the container's stdin; none when absent */
  stdin?: Readable | null;
  stdout: Writable;
  stderr: Writable;
  /** the container has a tty: stdin (if a terminal) goes raw and the window size follows stdout's */
  tty?: boolean;
  /** Docker's detach keys (default ctrl-p,ctrl-q); null: none */
  detachKeys?: string | null;
  /** when stdin ends, close the container's stdin (Docker's `run -i`); default false */
  closeStdin?: boolean;
  /**
   * Docker's StdinOnce (`run -i`, `start -ai`): the container's stdin is
   * closed when this attach ends however it ends, our death included (the
   * monitor does it); default false
   */
  stdinOnce?: boolean;
  /**
   * we do what the monitor's exit command would (Engine.exited()) once the
   * container ends, and say so with exitHandled(): the monitor skips it then.
   * done resolves on the exit record, the connection still open
   */
  handlesExit?: boolean;
}

export type AttachEnd =
  /** the container ended; its exit record */
  | { kind: 'exited'; exit: ExitRecord | null }
  /** the detach keys were typed; the container runs on */
  | { kind: 'detached' }
  /** the monitor closed the connection without an exit record (it fell behind, or was killed) */
  | { kind: 'disconnected' };

export interface Attachment {
  /** resolves once the monitor has accepted us (attach, then start, and no output is missed) */
  readonly connected: Promise<void>;
  /** how the attach ended */
  readonly done: Promise<AttachEnd>;
  /** sends a window size (done by itself for a tty on a terminal) */
  resize(rows: number, cols: number): void;
  /** ends the attach; the container runs on */
  detach(): void;
  /**
   * With handlesExit, after done gave the exit record and the exit's work is
   * done: tells the monitor so (it skips its exit command) and hangs up.
   * Resolves once it is sent; does nothing without handlesExit or connection.
   */
  exitHandled(): Promise<void>;
  /** hangs up; with handlesExit and no exitHandled(), the monitor runs its exit command */
  close(): void;
}

interface TtyIn extends Readable {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

interface TtyOut extends Writable {
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

/** Attaches to the monitor's socket at PATH. */
export function attach(path: string, options: AttachOptions): Attachment {
  const socket: Socket = createConnection(path);
  const decoder = new FrameDecoder();
  const stdin = (options.stdin ?? null) as TtyIn | null;
  const out = options.stdout as TtyOut;
  const keys = options.detachKeys === null || !stdin ? null : new DetachKeys(parseDetachKeys(options.detachKeys ?? DEFAULT_DETACH_KEYS));
  let exit: ExitRecord | null | undefined;
  let finished = false;
  let raw = false;
  let resolveDone: (end: AttachEnd) => void = () => {};
  let rejectDone: (e: Error) => void = () => {};
  const done = new Promise<AttachEnd>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const send = (buf: Buffer): void => {
    if (!finished && !socket.destroyed) socket.write(buf);
  };
  const sendSize = (): void => {
    if (out.isTTY && out.rows && out.columns) send(resizeFrame(out.rows, out.columns));
  };
  const onStdin = (chunk: Buffer | string): void => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let detach = false;
    if (keys) ({ forward: data, detach } = keys.push(data));
    if (data.length) send(stdinFrames(data));
    if (detach) finish({ kind: 'detached' });
  };
  const onStdinEnd = (): void => {
    if (options.closeStdin) send(closeStdinFrame());
  };
  const cleanup = (): void => {
    stdin?.off('data', onStdin);
    stdin?.off('end', onStdinEnd);
    stdin?.pause();
    if (raw) stdin?.setRawMode?.(false);
    if (options.tty) out.off?.('resize', sendSize);
  };
  function finish(end: AttachEnd): void {
    if (finished) return;
    finished = true;
    cleanup();
    // the monitor keeps sending output to a client whose stdin ended: a detach closes both ways, once our input is out
    if (end.kind === 'detached') socket.end(() => socket.destroy());
    // the monitor waits for exitHandled() or our hang-up
    else if (!(end.kind === 'exited' && options.handlesExit)) socket.end();
    resolveDone(end);
  }

  let onConnected: () => void = () => {};
  const connectedPromise = new Promise<void>((res) => {
    onConnected = res;
  });
  socket.on('connect', () => {
    connected = true;
    // first, so the monitor has read it whenever the container ends (we start it after this)
    if (options.handlesExit) send(handlesExitFrame());
    if (options.stdinOnce) send(stdinOnceFrame());
    if (options.tty) {
      sendSize();
      out.on?.('resize', sendSize);
      if (stdin?.isTTY && stdin.setRawMode) {
        stdin.setRawMode(true);
        raw = true;
      }
    }
    stdin?.on('data', onStdin);
    stdin?.on('end', onStdinEnd);
    stdin?.resume();
  });
  let connected = false;
  let draining = false;
  socket.on('data', (chunk: Buffer) => {
    // the monitor's first frame (an empty one, sent when it accepts us): from now on nothing is missed
    onConnected();
    for (const f of decoder.push(chunk)) {
      if (f.stream === OUT_EXIT) {
        exit = parseExitRecord(f.data.toString('utf8'));
        // the last frame: with handlesExit the monitor waits for us, not we for its end
        if (options.handlesExit) finish({ kind: 'exited', exit });
        continue;
      }
      const target = f.stream === OUT_STDERR ? options.stderr : options.stdout;
      // a slow terminal slows the socket; the monitor drops us rather than wait
      if (!target.write(f.data) && !draining) {
        draining = true;
        socket.pause();
        target.once('drain', () => {
          draining = false;
          socket.resume();
        });
      }
    }
  });
  const ended = (): void => finish(exit === undefined ? { kind: 'disconnected' } : { kind: 'exited', exit });
  socket.on('end', ended);
  socket.on('error', (e: NodeJS.ErrnoException) => {
    if (finished) return;
    if (connected) return ended(); // the monitor went away (ECONNRESET)
    finished = true;
    cleanup();
    const code = e.code ?? 'error';
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      rejectDone(new MobyDickError('USAGE', `cannot attach: the container is not running (${code} on ${path})`, { subject: path, errnoName: code }));
    } else {
      rejectDone(new MobyDickError('HELPER', `attach socket ${path}: ${e.message}`, { subject: path, errnoName: code }));
    }
  });
  // a failure to connect shows in both: done rejects, connected does too
  const connectedOrFailed = Promise.race([connectedPromise, done.then(() => {})]);
  return {
    connected: connectedOrFailed,
    done,
    resize: (rows, cols) => send(resizeFrame(rows, cols)),
    detach: () => finish({ kind: 'detached' }),
    exitHandled: () =>
      new Promise<void>((resolve) => {
        if (!options.handlesExit || exit === undefined || socket.destroyed || socket.writableEnded) return resolve();
        const sent = (): void => {
          socket.destroy();
          resolve();
        };
        socket.once('close', sent);
        socket.end(exitHandledFrame(), sent);
      }),
    close: () => {
      socket.destroy();
    },
  };
}
