/**
 * The compile service: a warm moby-dick-runtime for one state root, so that
 * `create` costs no Node start (~35-45 ms even from the snapshot). The
 * launcher (native/launcher/fast-service.c) starts it on first use, sends
 * it each create's command line, and starts mdk-init itself when asked:
 * the helper, and the container's init it forks, are the caller's
 * processes, as on the Node path. The service runs the same main() as the
 * Node path with the caller's stderr and a launcher that asks the caller
 * (RemoteLauncher); every decision is TypeScript's, every state file is on
 * disk, and nothing is kept between requests.
 *
 * Root only: the socket is ROOT/@compile/sock, 0600 in a 0700 directory of
 * root's, and each peer's uid is checked (SO_PEERCRED; the launcher checks
 * ours). It ends after MOBY_DICK_COMPILE_IDLE_SECONDS (default 30) without
 * a request, as soon as a launcher of another build asks (the stamp), and
 * within a second of its socket going (the state root removed, or a newer
 * service in its place).
 * Which requests it takes: compile-request.ts; the wire: compile-wire.ts.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { SignalSource } from '../helper/signal-source.js';
import { type HelperLauncher, type LaunchedHelper, type LaunchOptions, LaunchRefused, sendControl } from '../helper/helper-launch.js';
import { signalNumber } from '../linux/signals.js';
import { helperPath } from '../helper/helper-path.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';
import { readable } from '../helper/readable.js';
import type { RuntimeIo } from './context.js';
import { namespaceRefusal, requestRefusal, type ServiceSelf, SHARED_NAMESPACES } from './compile-request.js';
import { decodeRequest, encodeFrame, type Field, FrameReader, SERVICE_DIR, SERVICE_PID, SERVICE_SOCKET, SERVICE_STAMP_ENV, splitFields } from './compile-wire.js';

const DEFAULT_IDLE_SECONDS = 30;
/** how often an idle service looks whether its socket is still its own */
const WAKE_MS = 1000;
/** a request must arrive this soon after its connection */
const REQUEST_TIMEOUT_MS = 5000;

/** The addon's socket calls the service makes (unix-socket.c). */
export type ServiceSyscalls = Pick<NativeAddon, 'unixListen' | 'unixAccept' | 'peerCred' | 'recvFds'>;

/** One connection to a launcher: frames in (with the fds that came along) and out; the launcher's signals apart. */
class Peer {
  private readonly reader = new FrameReader();
  private readonly frames: Buffer[][] = [];
  private readonly fds: number[] = [];
  private readonly chunk = Buffer.alloc(65536);
  private ended = false;
  /** the read under way: one at a time, whoever waits for a frame or a signal shares it */
  private reading: Promise<boolean> | undefined;
  /** where `signal` frames go; those before it are kept */
  private onSignal: ((signal: number) => void) | undefined;
  private readonly signals: number[] = [];
  private watching = false;
  private watched: Promise<void> | undefined;

  constructor(
    readonly fd: number,
    readonly addon: ServiceSyscalls,
  ) {}

  send(fields: readonly Field[]): void {
    const frame = encodeFrame(fields);
    // the socket is non-blocking: a full buffer is waited out (frames are small, the launcher reads at once)
    for (let at = 0; at < frame.length; ) {
      try {
        at += writeSync(this.fd, frame, at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    }
  }

  /** One read of what is there (shared with a read under way); false when TIMEOUT_MS passed first. */
  private fill(timeoutMs: number): Promise<boolean> {
    this.reading ??= (async () => {
      if (!(await readable(this.fd, timeoutMs))) return false;
      const [n, ...fds] = this.addon.recvFds(this.fd, this.chunk);
      this.fds.push(...fds);
      if (n === 0) this.ended = true;
      else if (n! > 0) {
        for (const body of this.reader.push(Buffer.from(this.chunk.subarray(0, n)))) {
          const fields = splitFields(body);
          if (fields[0]?.toString() === 'signal' && fields.length === 2) this.signal(Number(fields[1]!.toString()));
          else this.frames.push(fields);
        }
      }
      return true;
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private signal(n: number): void {
    if (!Number.isInteger(n) || n <= 0 || n >= 65) return;
    if (this.onSignal) this.onSignal(n);
    else this.signals.push(n);
  }

  /** The next frame's fields (signals apart), or undefined at the end (or after TIMEOUT_MS). */
  async next(timeoutMs = -1): Promise<Buffer[] | undefined> {
    while (this.frames.length === 0 && !this.ended) {
      // a false may be the timeout of a read this one joined (watchSignals'): without a timeout of our own, read on
      if (!(await this.fill(timeoutMs)) && timeoutMs >= 0) return undefined;
    }
    return this.frames.shift();
  }

  /**
   * The launcher's signals to ON from now on (those it sent before, first):
   * it is told to catch SIGNALS, and this side reads on while nobody waits
   * for a frame. Returns what stops the delivery.
   */
  watchSignals(signals: readonly number[], on: (signal: number) => void): () => void {
    this.send(['signals', ...signals.map(String)]);
    this.onSignal = on;
    for (const n of this.signals.splice(0)) on(n);
    this.watching = true;
    // a second a read at most, so that close() never leaves a poll on a closed fd
    this.watched ??= (async () => {
      while (this.watching && !this.ended) await this.fill(1000);
    })().catch(() => {});
    return () => {
      this.onSignal = undefined;
    };
  }

  /** The fds that came with the frames so far, taken. */
  takeFds(): number[] {
    return this.fds.splice(0);
  }

  async close(): Promise<void> {
    this.watching = false;
    await this.watched;
    await this.reading?.catch(() => {});
    for (const fd of this.takeFds()) closeSync(fd);
    closeSync(this.fd);
  }
}

/**
 * The helper started by the launcher at the other end of PEER: create's
 * helper as the Node path starts it, and run's and exec's in the
 * foreground, whose signals the launcher catches and passes on.
 */
class RemoteLauncher implements HelperLauncher {
  /** set once a helper was asked for: from then on the command is this service's to finish */
  launched = false;

  constructor(private readonly peer: Peer) {}

  accept(spec: { hooks?: object }): void {
    // a hook runs in the runtime's cwd, which here is not the caller's
    if (spec.hooks && Object.values(spec.hooks).some((list) => Array.isArray(list) && list.length > 0)) throw new LaunchRefused('hooks');
  }

  readonly signals: SignalSource = (signals, on) => this.peer.watchSignals(signals.map((s) => signalNumber(s)), on);

  async launch(plan: Buffer, options: LaunchOptions): Promise<LaunchedHelper> {
    const helper = helperPath();
    if (options.stdio !== 'inherit' || !options.interactive) throw new LaunchRefused(`stdio ${options.stdio}`);
    this.launched = true;
    this.peer.send(['spawn', helper, options.sealed ? '1' : '0', String(options.preserveFds ?? 0)]);
    const answer = await this.peer.next();
    const fds = this.peer.takeFds();
    const kind = answer?.[0]?.toString();
    if (kind !== 'spawned' || fds.length !== 2) {
      for (const fd of fds) closeSync(fd);
      const why = kind === 'spawn-failed' ? (answer?.[1]?.toString() ?? '') : 'its caller went away';
      throw new MobyDickError('HELPER', `cannot start the helper: ${why}`, { subject: helper });
    }
    const [control, status] = fds as [number, number];
    sendControl(control, plan);
    let exit: Promise<[number, number]> | undefined;
    return {
      pid: Number(answer![1]!.toString()),
      fds: { control, status },
      reap: () => (exit ??= this.reap()),
    };
  }

  private async reap(): Promise<[number, number]> {
    this.peer.send(['wait']);
    const answer = await this.peer.next();
    if (answer?.[0]?.toString() !== 'waited') return [-1, -1];
    return [Number(answer[1]!.toString()), Number(answer[2]!.toString())];
  }
}

/** The state root's service directory: root's, 0700 (made so if missing). */
function serviceDir(root: string): string {
  const dir = join(root, SERVICE_DIR);
  mkdirSync(root, { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0) {
    throw new MobyDickError('USAGE', `${dir} is not a directory of root's`, { subject: dir, hint: 'remove it; the compile service makes its own' });
  }
  chmodSync(dir, 0o700);
  return dir;
}

/** PID's namespaces and root directory, for namespaceRefusal (missing: undefined) */
function namespacesOf(pid: number | 'self'): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of SHARED_NAMESPACES) {
    try {
      out[name] = readlinkSync(`/proc/${pid}/ns/${name}`);
    } catch {
      out[name] = undefined;
    }
  }
  try {
    const st = statSync(`/proc/${pid}/root`);
    out.root = `${st.dev}:${st.ino}`;
  } catch {
    out.root = undefined;
  }
  return out;
}

/** Serves one connection: a request, run as main() runs it on the Node path, or refused. */
async function serveOne(peer: Peer, self: ServiceSelf, main: RuntimeMain, onStale: () => void): Promise<void> {
  const [pid, uid] = peer.addon.peerCred(peer.fd);
  if (uid !== 0) return;
  const fields = await peer.next(REQUEST_TIMEOUT_MS);
  if (!fields) return;
  // the caller waits for our answer: PID is still it
  const elsewhere = pid > 0 ? namespaceRefusal(namespacesOf(pid), namespacesOf('self')) : 'a caller in another pid namespace';
  if (elsewhere) {
    peer.send(['refuse', elsewhere]);
    return;
  }
  let request;
  try {
    request = decodeRequest(fields);
  } catch (e) {
    peer.send(['refuse', (e as Error).message]);
    return;
  }
  const refusal = requestRefusal(request, self);
  if (refusal) {
    peer.send(['refuse', refusal]);
    if (request.stamp !== self.stamp) onStale();
    return;
  }
  const launcher = new RemoteLauncher(peer);
  let code: number;
  try {
    code = await main(request.argv, { launcher, stderr: (text) => peer.send(['out', '2', Buffer.from(text)]) });
  } catch (e) {
    if (!(e instanceof LaunchRefused) || launcher.launched) throw e;
    peer.send(['refuse', e.message]);
    return;
  }
  peer.send(['exit', String(code)]);
}

/** main.ts's main: what the service runs for each request */
export type RuntimeMain = (argv: readonly string[], io: RuntimeIo) => Promise<number>;

/**
 * Runs the service for ROOT until it has been idle long enough, or a
 * launcher of another build asked. ARGS: none. MAIN: the runtime's main.
 */
export async function serveCompile(root: string, args: readonly string[], main: RuntimeMain, addon: ServiceSyscalls = nativeAddon()): Promise<number> {
  if (args.length > 0) throw new MobyDickError('USAGE', 'compile-service takes no arguments');
  if (process.geteuid?.() !== 0) throw new MobyDickError('USAGE', 'the compile service runs as root only');
  const stamp = process.env[SERVICE_STAMP_ENV];
  if (!stamp) throw new MobyDickError('USAGE', `the compile service needs ${SERVICE_STAMP_ENV}`, { hint: 'the launcher starts it; it is not for people' });
  const idleSeconds = Number(process.env.MOBY_DICK_COMPILE_IDLE_SECONDS ?? DEFAULT_IDLE_SECONDS);
  const idleMs = Number.isFinite(idleSeconds) && idleSeconds > 0 ? idleSeconds * 1000 : DEFAULT_IDLE_SECONDS * 1000;
  const self: ServiceSelf = { stamp, umask: process.umask(), env: { ...process.env } };
  const dir = serviceDir(root);
  const socketPath = join(dir, SERVICE_SOCKET);
  const pidPath = join(dir, SERVICE_PID);
  // a service before this one (ended, or still serving what it has) gives up the name; it idles out
  rmSync(socketPath, { force: true });
  const listener = addon.unixListen(Buffer.from(socketPath));
  chmodSync(socketPath, 0o600);
  const ours = lstatSync(socketPath).ino;
  writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o600 });
  const inFlight = new Set<Promise<void>>();
  let stale = false;
  // a launcher of another build: the name goes at once (its next call starts a service of its own), we at the next wake
  const giveUpName = (): void => {
    stale = true;
    try {
      if (lstatSync(socketPath).ino === ours) rmSync(socketPath, { force: true });
    } catch {
      /* gone already */
    }
  };
  // whether the name is still ours: a state root removed (a test's), or a newer service, ends this one
  const stillOurs = (): boolean => {
    try {
      return lstatSync(socketPath).ino === ours;
    } catch {
      return false;
    }
  };
  // SIGTERM: what was asked is answered, then the service goes as when idle (its socket, pid file and directory too)
  process.on('SIGTERM', giveUpName);
  let idleSince = Date.now();
  try {
    for (;;) {
      const ready = await readable(listener, WAKE_MS);
      if (stale || !stillOurs()) break;
      if (!ready) {
        if (inFlight.size === 0 && Date.now() - idleSince >= idleMs) break;
        continue;
      }
      for (let fd = addon.unixAccept(listener); fd >= 0; fd = addon.unixAccept(listener)) {
        const peer = new Peer(fd, addon);
        const served: Promise<void> = serveOne(peer, self, main, giveUpName)
          .catch(() => {})
          .finally(async () => {
            await peer.close().catch(() => {});
            inFlight.delete(served);
            idleSince = Date.now();
          });
        inFlight.add(served);
      }
    }
    // what was asked before the end is answered
    await Promise.all(inFlight);
  } finally {
    closeSync(listener);
    // the name goes with us unless another service has it now
    try {
      if (lstatSync(socketPath).ino === ours) rmSync(socketPath, { force: true });
    } catch {
      /* gone already */
    }
    try {
      if (readFileSync(pidPath, 'utf8') === `${process.pid}\n`) rmSync(pidPath, { force: true });
    } catch {
      /* gone already */
    }
    // the state root as its caller left it: the directory goes when nothing of another service is in it
    try {
      rmdirSync(dir);
    } catch {
      /* another service's, or gone */
    }
  }
  return 0;
}
