/**
 * What the service keeps about containers between requests:
 *
 * - attaches that came before the start (the docker CLI attaches, then
 *   starts): connected to the monitor's attach socket in the start's
 *   beforeStart, so no output is missed;
 * - the exit of each container it starts: it attaches with handlesExit and
 *   does Engine.exited() itself (--rm, the restart policy) when the
 *   container ends, so the monitor starts no `container-exited` process
 *   (a Node start saved per container). If the service goes first, the
 *   monitor sees it hang up and runs container-exited as always;
 * - the waits (POST /containers/{id}/wait), woken by those exits, polling
 *   for containers the service did not start (the CLI's, an earlier
 *   service's);
 * - the live attachments of each container, for its resize.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { attach, type Attachment } from '../engine/attach.js';
import type { ContainerView, Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** connects an attach to the monitor of a container being started; resolves once connected */
export type PendingAttach = (v: ContainerView) => Promise<Attachment | undefined>;

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

export class Sessions {
  private readonly pending = new Map<string, Set<PendingAttach>>();
  private readonly live = new Map<string, Set<Attachment>>();
  private readonly watchers = new Set<Attachment>();
  /** 'exit' (id, code) when a container the service watches ends; 'handled' (id) once Engine.exited() is done */
  readonly events = new EventEmitter();
  private closing = false;

  /**
   * DEAD_GRACE_MS: how long a container that looks dead (its process gone,
   * no exit file) is given before wait takes it as dead: the runtime sees
   * the process gone before the monitor has drained the last output (up to
   * 2 s: watch.c) and written the exit file, as the engine's wait allows.
   */
  constructor(
    private readonly engine: Engine,
    private readonly deadGraceMs = 2500,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Connects P at the container's next start (through this service); the returned function takes it back. */
  addPending(id: string, p: PendingAttach): () => void {
    let set = this.pending.get(id);
    if (!set) this.pending.set(id, (set = new Set()));
    set.add(p);
    return () => {
      set.delete(p);
      if (set.size === 0 && this.pending.get(id) === set) this.pending.delete(id);
    };
  }

  /** A live attachment of container ID (resize goes to it); forgotten when it ends. */
  track(id: string, a: Attachment): void {
    let set = this.live.get(id);
    if (!set) this.live.set(id, (set = new Set()));
    set.add(a);
    void a.done
      .catch(() => undefined)
      .finally(() => {
        set.delete(a);
        // a container's entry goes with its last attachment: one per container ever attached was kept
        if (set.size === 0 && this.live.get(id) === set) this.live.delete(id);
      });
  }

  /** How much the service holds (tests: none of it may grow with the requests served). */
  held(): { pending: number; live: number; watchers: number; exitListeners: number; handledListeners: number } {
    return {
      pending: this.pending.size,
      live: this.live.size,
      watchers: this.watchers.size,
      exitListeners: this.events.listenerCount('exit'),
      handledListeners: this.events.listenerCount('handled'),
    };
  }

  /** Sends a window size to the container's tty through a live attachment, or one made for it. */
  async resize(v: ContainerView, rows: number, cols: number): Promise<void> {
    const set = this.live.get(v.record.id);
    const a = set?.values().next().value;
    if (a) {
      a.resize(rows, cols);
      return;
    }
    const once = attach(v.paths.attachSocket, { stdout: sink(), stderr: sink(), detachKeys: null });
    await once.connected;
    once.resize(rows, cols);
    once.detach();
  }

  /** `start`, with the pending attaches connected first and the exit watched (see above). */
  async start(ref: string): Promise<ContainerView> {
    const id = this.engine.containers.find(ref).id;
    return this.engine.start(id, this.beforeStart(id));
  }

  /** What a start of container ID does before the container runs: the pending attaches, the exit watch. */
  beforeStart(id: string): (v: ContainerView) => Promise<void> {
    return async (v) => {
      const pending = [...(this.pending.get(id) ?? [])];
      this.pending.delete(id);
      for (const p of pending) {
        const a = await p(v);
        if (a) this.track(id, a);
      }
      if (!this.closing) await this.watchExit(v);
    };
  }

  private async watchExit(v: ContainerView): Promise<void> {
    const id = v.record.id;
    const a = attach(v.paths.attachSocket, { stdout: sink(), stderr: sink(), detachKeys: null, handlesExit: true });
    this.watchers.add(a);
    await a.connected;
    void a.done.then(
      async (end) => {
        if (end.kind !== 'exited') return;
        this.events.emit('exit', id, end.exit?.exitCode ?? 255);
        try {
          await this.engine.exited(id);
          await a.exitHandled();
        } catch {
          /* the monitor runs container-exited when we hang up without saying it is done */
        }
        this.events.emit('handled', id);
      },
      () => undefined,
    ).finally(() => {
      this.watchers.delete(a);
      a.close();
    });
  }

  /**
   * POST /containers/{id}/wait: the exit code once CONDITION holds —
   * not-running (now, if it does not run), next-exit (an exit after this
   * call), removed (the container gone; its last exit code).
   */
  async wait(ref: string, condition: WaitCondition, gone: Promise<void>): Promise<number> {
    const id = this.engine.containers.find(ref).id;
    const since = Date.now();
    let lastCode: number | undefined;
    let exitedAfter = false;
    let deadSince: number | undefined;
    const onExit = (cid: string, code: number): void => {
      if (cid !== id) return;
      lastCode = code;
      exitedAfter = true;
    };
    this.events.on('exit', onExit);
    let cancelled = false;
    void gone.then(() => (cancelled = true));
    try {
      for (let i = 0; ; i++) {
        if (cancelled) throw new MobyDickError('USAGE', 'the client went away');
        let v: ContainerView | undefined;
        try {
          v = this.engine.inspect(id);
        } catch {
          v = undefined;
        }
        if (!v) {
          if (condition === 'removed' || exitedAfter) return lastCode ?? 0;
          throw new MobyDickError('USAGE', `No such container: ${ref}`, { container: ref });
        }
        // 'dead' within the grace may be an exit whose record is being written: asked again
        if (v.state.Status === 'dead') deadSince ??= Date.now();
        else deadSince = undefined;
        const ended = v.state.Status === 'exited' || (deadSince !== undefined && Date.now() - deadSince >= this.deadGraceMs);
        if (ended) {
          lastCode = v.state.ExitCode;
          const finished = v.state.FinishedAt ? Date.parse(v.state.FinishedAt) : 0;
          if (finished >= since - 5) exitedAfter = true;
        }
        if (condition === 'not-running' && (ended || v.state.Status === 'created')) return ended ? v.state.ExitCode : 0;
        if (condition === 'next-exit' && exitedAfter && (ended || lastCode !== undefined)) return lastCode ?? v.state.ExitCode;
        // removed: waits for the record to go (above), as long as it takes, as dockerd's
        await new Promise<void>((resolve) => {
          const wake = (cid: string): void => {
            if (cid === id) done();
          };
          const timer = setTimeout(() => done(), Math.min(200, 20 + i * 10));
          const done = (): void => {
            clearTimeout(timer);
            this.events.off('exit', wake);
            this.events.off('handled', wake);
            resolve();
          };
          this.events.on('exit', wake);
          this.events.on('handled', wake);
        });
      }
    } finally {
      this.events.off('exit', onExit);
    }
  }

  /** The service stops: the exit watchers hang up (the monitors run container-exited themselves). */
  close(): void {
    this.closing = true;
    for (const a of this.watchers) a.close();
    this.watchers.clear();
  }
}

