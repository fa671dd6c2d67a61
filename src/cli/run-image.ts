/**
 * `run IMAGE` (commands/run.ts hands over here, to the images bundle) and
 * `start -a`: a container being started, with its output here and our stdin
 * there.
 */
import { Writable } from 'node:stream';
import { attach, parseDetachKeys } from '../engine/attach.js';
import type { ContainerView, CreateRequest, Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { type CidFile, openCidFile } from './cid-file.js';
import { type CreateFlags, createRequest } from './create-options.js';
import { withEngine } from './engine-context.js';
import { parseAttach, type Stream } from './host-flags.js';
import { explainFormat, stderrRecorder } from '../explain/recorder.js';
import { heldUntil } from './held-output.js';

/** Where a stream that -a leaves out goes. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

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
/** HOLD: the output is held until it settles (--explain, written first; held-output.ts). */
export async function attachTo(v: ContainerView, interactive: boolean, options: { streams?: ReadonlySet<Stream>; detachKeys?: string; hold?: Promise<unknown> } = {}): Promise<Attached> {
  const tty = v.record.engine.tty;
  // -a: the streams not named are dropped here (the log keeps them)
  const streams = options.streams ?? parseAttach([], interactive);
  const withStdin = interactive && streams.has('stdin');
  // a terminal is left as it is (its window size follows stdout's, attach.ts); there the explanation and the
  // first output may cross, where a pipe or file (a tool reading --explain=json) gets them in order
  const held = (s: NodeJS.WriteStream): Writable => (options.hold && !s.isTTY ? heldUntil(s, options.hold) : s);
  const a = attach(v.paths.attachSocket, {
    stdin: withStdin ? process.stdin : null,
    stdout: streams.has('stdout') ? held(process.stdout) : discard(),
    stderr: streams.has('stderr') ? held(process.stderr) : discard(),
    tty,
    detachKeys: tty && withStdin ? options.detachKeys : null,
    closeStdin: interactive,
    // killed, we leave no stdin open that nobody feeds (Docker's StdinOnce): `cat` ends, --rm removes it
    stdinOnce: withStdin && v.record.stdinOnce === true,
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
  const streams = parseAttach(flags.attach ?? [], flags.interactive === true);
  if (flags.detach && flags.attach?.length) throw new MobyDickError('USAGE', 'Conflicting options: -a and -d', { hint: "see 'moby-dick run --help'" });
  if (flags['detach-keys'] !== undefined) parseDetachKeys(flags['detach-keys']);
  if (req.autoRemove && req.restart.name !== 'no') {
    throw new MobyDickError('USAGE', 'Conflicting options: --restart and --rm', { hint: "see 'moby-dick run --help'" });
  }
  const cid = openCidFile(flags.cidfile);
  try {
    return await runCreated(req, flags, streams, cid);
  } catch (e) {
    cid.abandon(); // nothing once the ID is written
    throw e;
  }
}

async function runCreated(req: CreateRequest, flags: CreateFlags, streams: ReturnType<typeof parseAttach>, cid: CidFile): Promise<number> {
  return withEngine(async (engine) => {
    const record = await engine.create(req);
    cid.write(record.id);
    let attached: Attached | undefined;
    const explain = stderrRecorder('run IMAGE', explainFormat(flags.explain));
    try {
      await engine.start(
        record.id,
        async (v) => {
          // made and waiting for start; explained once the helper reports its exec (the recorder),
          // with the steps after the release: its output held until then
          if (!flags.detach) {
            attached = await attachTo(v, flags.interactive === true, {
              streams,
              ...(flags['detach-keys'] !== undefined ? { detachKeys: flags['detach-keys'] } : {}),
              ...(explain ? { hold: explain.written } : {}),
            });
          }
        },
        explain,
      );
      explain?.flush();
    } catch (e) {
      explain?.flush();
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
