/**
 * Exec instances: POST /containers/{id}/exec records one, POST
 * /exec/{id}/start runs it, GET /exec/{id}/json tells its state and exit
 * code. It runs as `moby-dick exec` (the CLI's own command, the same path
 * `moby-dick exec` takes) in a child process whose stdio are pipes to the
 * hijacked connection: the runtime's exec waits on its helper
 * synchronously, which a service must not do in its own event loop. With
 * Tty the helper makes the terminal and relays it to the pipes; its window
 * size cannot follow a pipe, so resize is accepted and changes nothing yet.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine/engine.js';
import { boolean, object, string, strings } from './body.js';
import { ApiError } from './errors.js';
import { frames, STDERR, STDOUT } from './stdcopy.js';
import type { ExecConfig, ExecInspectResponse } from './types.js';

interface ExecInstance {
  id: string;
  containerId: string;
  config: Required<Pick<ExecConfig, 'AttachStdin' | 'AttachStdout' | 'AttachStderr' | 'Tty' | 'Cmd' | 'User' | 'WorkingDir' | 'Privileged'>> & { Env: string[]; DetachKeys: string };
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  /** when it may be forgotten (ms since the epoch): an hour after its create or its detached start, minutes after its end */
  keepUntil: number;
}

/** how long an exec instance is kept for a client's inspect: not started or detached, and ended */
export const EXEC_KEEP_MS = { unstarted: 3_600_000, ended: 300_000 };

/** An exec's body, checked. */
export function execConfigOf(body: unknown): ExecInstance['config'] {
  const o = object(body, 'body') ?? {};
  const cmd = strings(o.Cmd, 'Cmd') ?? [];
  if (cmd.length === 0) throw new ApiError(400, 'No exec command specified');
  if (boolean(o.Privileged, 'Privileged')) throw new ApiError(400, 'Privileged is not supported by moby-dick for exec; leave it unset');
  return {
    AttachStdin: boolean(o.AttachStdin, 'AttachStdin') ?? false,
    AttachStdout: boolean(o.AttachStdout, 'AttachStdout') ?? false,
    AttachStderr: boolean(o.AttachStderr, 'AttachStderr') ?? false,
    Tty: boolean(o.Tty, 'Tty') ?? false,
    Cmd: cmd,
    Env: strings(o.Env, 'Env') ?? [],
    User: string(o.User, 'User') ?? '',
    WorkingDir: string(o.WorkingDir, 'WorkingDir') ?? '',
    Privileged: false,
    DetachKeys: string(o.DetachKeys, 'DetachKeys') ?? '',
  };
}

/** The `moby-dick exec` argv for an instance. */
export function execArgv(x: ExecInstance, detach: boolean): string[] {
  const c = x.config;
  return [
    'exec',
    ...(detach ? ['-d'] : []),
    ...(c.AttachStdin && !detach ? ['-i'] : []),
    ...(c.Tty ? ['-t'] : []),
    ...c.Env.flatMap((e) => ['-e', e]),
    ...(c.User ? ['-u', c.User] : []),
    ...(c.WorkingDir ? ['-w', c.WorkingDir] : []),
    x.containerId,
    ...c.Cmd,
  ];
}

/** Resolves with CHILD's exit code (128+N for signal N) once its stdio have closed; X records it. */
function ended(x: ExecInstance, child: ChildProcess, now: () => number): Promise<number> {
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      x.running = false;
      x.keepUntil = now() + EXEC_KEEP_MS.ended;
      x.exitCode = code ?? (signal ? 128 + (process.getBuiltinModule('node:os').constants.signals[signal] ?? 0) : 255);
      resolve(x.exitCode);
    });
  });
}

export class Execs {
  private readonly all = new Map<string, ExecInstance>();

  constructor(
    private readonly engine: Engine,
    /** how to run this CLI again: argv before `exec ...` */
    private readonly self: readonly string[],
    private readonly root: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many instances are kept (tests: bounded by the recent execs, not by all ever made). */
  get size(): number {
    return this.all.size;
  }

  /** Forgets the instances past their keepUntil (an attached one runs until Infinity). */
  private sweep(): void {
    const now = this.now();
    for (const [id, x] of this.all) if (now > x.keepUntil) this.all.delete(id);
  }

  create(ref: string, body: unknown): string {
    const v = this.engine.inspect(ref);
    if (!v.state.Running) throw new ApiError(409, `Container ${v.record.id} is not running`);
    if (v.state.Paused) throw new ApiError(409, `Container ${v.record.id} is paused, unpause the container before exec`);
    const config = execConfigOf(body);
    // each create forgets the old ones: a timer per instance kept it (and its timer) for an hour
    this.sweep();
    const id = randomBytes(32).toString('hex');
    this.all.set(id, { id, containerId: v.record.id, config, running: false, exitCode: null, pid: 0, started: false, keepUntil: this.now() + EXEC_KEEP_MS.unstarted });
    return id;
  }

  get(id: string): ExecInstance {
    const x = this.all.get(id);
    if (!x) throw new ApiError(404, `No such exec instance: ${id}`);
    return x;
  }

  inspect(id: string): ExecInspectResponse {
    const x = this.get(id);
    return {
      CanRemove: false,
      DetachKeys: x.config.DetachKeys,
      ID: x.id,
      Running: x.running,
      ExitCode: x.exitCode,
      ProcessConfig: { privileged: false, user: x.config.User, tty: x.config.Tty, entrypoint: x.config.Cmd[0]!, arguments: x.config.Cmd.slice(1) },
      OpenStdin: x.config.AttachStdin,
      OpenStderr: x.config.AttachStderr,
      OpenStdout: x.config.AttachStdout,
      ContainerID: x.containerId,
      Pid: x.pid,
    };
  }

  private spawn(x: ExecInstance, detach: boolean): ChildProcess {
    if (x.started) throw new ApiError(409, `exec ${x.id} has already been started`);
    x.started = true;
    const { spawn } = process.getBuiltinModule('node:child_process');
    const [file, ...pre] = this.self;
    const child = spawn(file!, [...pre, ...execArgv(x, detach)], {
      stdio: [x.config.AttachStdin && !detach ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // the engine's run root too: an ordinary user's default one is not the one MOBY_DICK_ROOT alone gives (paths.ts)
      env: { ...process.env, MOBY_DICK_ROOT: this.root, MOBY_DICK_RUN_ROOT: this.engine.runDir },
    });
    x.running = true;
    x.keepUntil = Infinity;
    x.pid = child.pid ?? 0;
    return child;
  }

  /** Detach: runs it in the background; resolves once it has started (its errors are its stderr's). */
  async startDetached(id: string): Promise<void> {
    const x = this.get(id);
    const child = this.spawn(x, true);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.resume();
    const code = await ended(x, child, this.now);
    if (code !== 0) throw new ApiError(500, err.trim().replace(/^moby-dick: /, '') || `exec failed with ${code}`);
    // the detached process runs on; moby-dick does not follow it, and forgets it after an hour
    x.running = true;
    x.keepUntil = this.now() + EXEC_KEEP_MS.unstarted;
  }

  /** Runs it with its stdio on CONN (framed without a tty); resolves with its exit code once the output is out. */
  async startAttached(id: string, conn: Duplex): Promise<number> {
    const x = this.get(id);
    const child = this.spawn(x, false);
    const framed = !x.config.Tty;
    const out = (stream: number) => (d: Buffer) => {
      if (!conn.destroyed) conn.write(framed ? frames(stream, d) : d);
    };
    if (x.config.AttachStdout) child.stdout?.on('data', out(STDOUT));
    else child.stdout?.resume();
    if (x.config.AttachStderr) child.stderr?.on('data', out(x.config.Tty ? STDOUT : STDERR));
    else child.stderr?.resume();
    if (child.stdin) {
      conn.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    }
    // the client hanging up ends the process, as dockerd's does with its stdio
    const onClose = (): void => {
      if (x.running) child.kill('SIGKILL');
    };
    conn.once('close', onClose);
    const code = await ended(x, child, this.now);
    conn.off('close', onClose);
    if (child.stdin) conn.unpipe(child.stdin);
    return code;
  }
}

