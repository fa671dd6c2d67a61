/**
 * `run IMAGE` (commands/run.ts hands over here, to the images bundle) and
 * `start -a`: a container being started, with its output here and our stdin
 * there.
 */
import { attach } from '../engine/attach.js';
import type { ContainerView, Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { type CreateFlags, createRequest } from './create-options.js';
import { withEngine } from './engine-context.js';

export interface Attached {
  /** the container's exit code (0 when detached, 255 when the monitor let go of us) */
  code: Promise<number>;
  /** Engine.exited() in this process, then the monitor is told that its container-exited is not needed */
  exited(engine: Engine): Promise<void>;
}

/**
 * Attached to a container being started: its output here, our stdin there
 * when -i. We handle the exit (Engine.exited(): --rm, the restart policy)
 * and tell the monitor when it is done, so it starts no container-exited
 * process of its own; killed before that, we hang up and it does.

 */
export async function attachTo(v: ContainerView, interactive: boolean): Promise<Attached> {
  const tty = v.record.engine.tty;
  const a = attach(v.paths.attachSocket, {
    stdin: interactive ? process.stdin : null,
    stdout: process.stdout,
    stderr: process.stderr,
    tty,
    detachKeys: tty && interactive ? undefined : null,
    closeStdin: interactive,
    handlesExit: true,
  });
  await a.connected;
  const code = a.done.then((end) => {
    if (end.kind === 'exited') return end.exit?.exitCode ?? 255;
    if (end.kind === 'detached') return 0;
    return 255;
  });
  return {
    code,
    async exited(engine) {
      try {
        // does nothing while it runs (detached); does the work when its monitor died without it
        await engine.exited(v.record.id);
        await a.exitHandled();
      } finally {
        a.close();
      }
    },
  };
}

/** `run IMAGE`: create and start; attached unless -d, then the command's exit status, as Docker. */
export async function runFromImage(flags: CreateFlags, operands: readonly string[]): Promise<number> {
  const req = createRequest(flags, operands);
  if (req.autoRemove && req.restart.name !== 'no') {
    throw new MobyDickError('USAGE', 'Conflicting options: --restart and --rm', { hint: "see 'moby-dick run --help'" });
  }
  return withEngine(async (engine) => {
    const record = await engine.create(req);
    let attached: Attached | undefined;
    try {
      await engine.start(record.id, async (v) => {
        if (!flags.detach) attached = await attachTo(v, flags.interactive === true);
      });
    } catch (e) {
      // and a container whose network could not be set up (a published port taken): it never ran, and run printed no ID for it
      if (req.autoRemove || (e instanceof MobyDickError && e.code === 'NETWORK')) engine.remove(record.id, true, true);
      throw e;
    }
    if (flags.detach) {
      process.stdout.write(`${record.id}\n`);
      return 0;
    }
    const code = await attached!.code;
    // what the monitor's container-exited would do, done before we return (--rm is gone then)
    await attached!.exited(engine);
    return code;
  }, true);
}
