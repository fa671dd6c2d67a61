/**
 * POST /_moby-dick/build: a `moby-dick build` command line that the
 * launcher (native/launcher/forward-build.c) hands to a running service
 * instead of starting Node, so that a build runs in a warm process (the
 * store open, the memos of parses and digests in memory), as `docker
 * build` runs in dockerd. Not part of Docker's API.
 *
 * The request (HTTP/1.0, so the answer ends with the connection) carries
 * the command line as the client has it: NUL-terminated fields, FORMAT,
 * the working directory, $MOBY_DICK_ROOT (empty: unset), the client's
 * mount namespace (`readlink /proc/self/ns/mnt`), the count of arguments,
 * the arguments after `build`, then the environment (NAME=VALUE each).
 * The service reads the context by path, so it serves only a client that
 * sees the same files and store: the same mount namespace, and a
 * $MOBY_DICK_ROOT naming the service's store. It answers 409 (and the
 * launcher runs the build itself, as without a service) for any other
 * client, and for a command line it leaves to the CLI (forwardedBuild:
 * one that does not parse, --help, stdin, the TTY view).
 *
 * The answer is 200 and Docker's stdcopy frames: 1 stdout, 2 stderr, and
 * last a frame of stream EXIT_STREAM holding the exit status in decimal.
 * A client that hangs up cancels the build, as a Ctrl-C of the CLI does.
 */
import { readlinkSync, realpathSync } from 'node:fs';
import type { Engine } from '../engine/engine.js';
import { storeRoot } from '../images/store/image-store.js';
import { ApiError } from './errors.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import { frames, STDERR, STDOUT } from './stdcopy.js';

export const FORWARD_FORMAT = 'moby-dick-build 1';
/** the frame that ends the answer: the exit status */
export const EXIT_STREAM = 4;
/** a command line and environment larger than this is refused */
const MAX_REQUEST = 4 << 20;

export interface ForwardedRequest {
  cwd: string;
  /** the client's $MOBY_DICK_ROOT; '' when unset */
  root: string;
  mountNs: string;
  argv: string[];
  env: Record<string, string>;
}

/** Where a forwarded build writes, and how it learns that its client went away. */
export interface ForwardedIo {
  stdout: { write(text: string): void };
  stderr: { write(text: string): void };
  env: NodeJS.ProcessEnv;
  cwd: string;
  engine: Engine;
  /** resolves when the client hangs up before the build ended */
  gone: Promise<void>;
}

/** A build of a forwarded command line, or undefined when the client is to run it itself. */
export type ForwardedBuildRunner = (argv: readonly string[]) => ((io: ForwardedIo) => Promise<number>) | undefined;

/** The request's body, checked: ApiError 400 when it is not the launcher's format. */
export function forwardedRequestOf(body: Buffer): ForwardedRequest {
  const fields = body.toString('utf8').split('\0');
  // every field ends with a NUL: the last piece is empty
  if (fields.pop() !== '' || fields[0] !== FORWARD_FORMAT) throw new ApiError(400, `not a forwarded build (expected ${FORWARD_FORMAT})`);
  const [, cwd, root, mountNs, count] = fields;
  const argc = Number(count);
  if (cwd === undefined || !cwd.startsWith('/') || root === undefined || mountNs === undefined || !/^\d+$/.test(count ?? '') || fields.length < 5 + argc) {
    throw new ApiError(400, 'a forwarded build needs its working directory, root, mount namespace and arguments');
  }
  const env: Record<string, string> = {};
  for (const kv of fields.slice(5 + argc)) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { cwd, root, mountNs, argv: fields.slice(5, 5 + argc), env };
}

async function readBody(ctx: RequestContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.body) {
    size += (c as Buffer).length;
    if (size > MAX_REQUEST) throw new ApiError(413, `request body is larger than ${MAX_REQUEST} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

async function serve(engine: Engine, run: ForwardedBuildRunner, ctx: RequestContext): Promise<void> {
  const req = forwardedRequestOf(await readBody(ctx));
  if (req.mountNs !== readlinkSync('/proc/self/ns/mnt')) throw new ApiError(409, 'the client sees other files (another mount namespace): it builds by itself');
  const clientEnv = { ...req.env, MOBY_DICK_ROOT: req.root };
  if (!sameDir(storeRoot(clientEnv), engine.store.root)) throw new ApiError(409, `the client's store is not this service's (${engine.store.root}): it builds by itself`);
  const build = run(req.argv);
  if (!build) throw new ApiError(409, 'this command line is run by the client');
  const out = ctx.reply.stream(200, { 'Content-Type': 'application/vnd.moby-dick.build-stream' });
  let ended = false;
  const gone = ctx.closed.then(() => {
    if (!ended) return;
    return new Promise<void>(() => undefined);
  });
  const sink = (stream: number) => ({
    write(text: string): void {
      if (text.length > 0 && !out.destroyed && !out.writableEnded) out.write(frames(stream, Buffer.from(text)));
    },
  });
  const status = await build({
    stdout: sink(STDOUT),
    stderr: sink(STDERR),
    env: { ...req.env },
    cwd: req.cwd,
    engine,
    gone,
  });
  ended = true;
  if (!out.destroyed && !out.writableEnded) out.end(frames(EXIT_STREAM, Buffer.from(String(status))));
}

export function forwardedBuildRoutes(engine: Engine, run: ForwardedBuildRunner | undefined): Route[] {
  if (!run) return [];
  return [{ method: 'POST', path: '/_moby-dick/build', handler: (ctx) => serve(engine, run, ctx) }];
}
