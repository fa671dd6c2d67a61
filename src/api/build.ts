/**
 * POST /build: the classic builder's endpoint (what `DOCKER_BUILDKIT=0
 * docker build`, docker-py and Compose's `build:` call). The body is the
 * build context as a tar (plain, gzip or zstd), unpacked into a temp dir;
 * the query names the Dockerfile in it and the options (buildRequestOf);
 * the build is `moby-dick build`'s Builder, its progress written as the
 * classic builder's JSON stream (build-stream.ts), then the image ID as an
 * aux message, "Successfully built" and "Successfully tagged" lines. With
 * q, only the image ID is sent (what was held back comes before an error).
 * A failure before anything was sent (a bad query, a context that is not
 * a tar, no Dockerfile, a Dockerfile that does not parse) is an ordinary
 * error answer; after, an error line, with a failed RUN's exit status as
 * its code (the docker CLI exits with it). A client that hangs up
 * cancels the build (Builder.cancel: the RUN containers running are
 * killed, each step removes its own; the finished steps stay cached).
 *
 * Base images are pulled with the logins of X-Registry-Config (the
 * client's), else the stored ones. Refused: version=2 (BuildKit: its /session protocol is not served),
 * remote contexts, squash. Accepted and not used: rm, forcerm (the step
 * containers always go), cachefrom, extrahosts, the resource limits.
 */
import { closeSync, constants as fsc, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { isRootless } from '../rootless/rootless.js';
import { Builder } from '../build/builder.js';
import { IgnoreRules } from '../build/dockerignore.js';
import { locate } from '../engine/archive-fs.js';
import { extractTree } from '../engine/archive-fs.js';
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { decompress } from '../images/decompress.js';
import { hostPlatform, parsePlatform } from '../images/platform.js';
import { familiarString, parseNormalizedReference } from '../images/reference.js';
import { S_IFMT, S_IFREG } from '../linux/file-modes.js';
import { ClassicBuildStream, shortId } from './build-stream.js';
import { registryConfigs } from './auth.js';
import { ApiError } from './errors.js';
import { queryBool } from './filter-match.js';
import { JsonStream } from './json-stream.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { JsonMessage } from './types-images.js';

export interface BuildRequest {
  /** t: the names to tag the image with */
  tags: string[];
  /** the Dockerfile's path in the context */
  dockerfile: string;
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  labels: Record<string, string>;
  /** RUN's network: bridge, host, none, or a network's name */
  network: string;
  quiet: boolean;
}

/** A query parameter that holds a JSON object of strings (labels), or of strings and nulls (buildargs: null is a --build-arg without a value). */
function jsonMap(q: URLSearchParams, name: string, what: string, nulls: boolean): Map<string, string> {
  const text = q.get(name) ?? '';
  const out = new Map<string, string>();
  if (text === '') return out;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `error reading ${what}: ${(e as Error).message}`);
  }
  if (v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, `error reading ${what}: expected a JSON object`);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string') out.set(k, x);
    else if (!(x === null && nulls)) throw new ApiError(400, `error reading ${what}: ${k}: expected a string`);
  }
  return out;
}

/** The query of POST /build, checked (Docker's words for what it refuses). */
export function buildRequestOf(q: URLSearchParams): BuildRequest {
  const version = q.get('version') ?? '';
  if (version === '2') throw new ApiError(400, 'buildkit is not enabled on daemon');
  if (version !== '' && version !== '1') throw new ApiError(400, `invalid version ${version}`);
  const remote = q.get('remote') ?? '';
  if (remote !== '') throw new ApiError(501, `a remote build context is not supported by moby-dick: ${remote}: send the context as the body`);
  if (queryBool(q, 'squash')) throw new ApiError(400, 'squash is only supported with experimental mode');
  const platform = q.get('platform') ?? '';
  if (platform !== '') {
    let p;
    try {
      p = parsePlatform(platform);
    } catch (e) {
      throw new ApiError(400, (e as Error).message);
    }
    const host = hostPlatform();
    if (p.os !== host.os || p.architecture !== host.architecture) throw new ApiError(400, `platform ${platform} is not supported: moby-dick builds for ${host.os}/${host.architecture}`);
  }
  const network = q.get('networkmode') ?? '';
  const target = q.get('target') ?? '';
  return {
    tags: q.getAll('t').filter((t) => t !== ''),
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    buildArgs: jsonMap(q, 'buildargs', 'build args', true),
    ...(target !== '' ? { target } : {}),
    noCache: queryBool(q, 'nocache'),
    pull: queryBool(q, 'pull'),
    labels: Object.fromEntries(jsonMap(q, 'labels', 'labels', false)),
    network: network === '' || network === 'default' ? 'bridge' : network,
    quiet: queryBool(q, 'q'),
  };
}

/** The regular file PATH of the context (opened inside ROOT: no symlink leads out), or undefined when there is none. */
function readInContext(root: number, path: string): string | undefined {
  let l;
  try {
    l = locate(root, posix.join('/', path), true);
  } catch {
    return undefined;
  }
  try {
    if (!l.st || (l.st.mode & S_IFMT) !== S_IFREG) return undefined;
    return readFileSync(`/proc/self/fd/${l.dir}/${l.name.toString()}`, 'utf8');
  } finally {
    closeSync(l.dir);
  }
}

/** The context's Dockerfile (Docker takes `dockerfile` when `Dockerfile` is missing) and .dockerignore. */
export function readContext(root: number, dockerfile: string): { text: string; ignore: IgnoreRules } {
  let text = readInContext(root, dockerfile);
  if (text === undefined && dockerfile === 'Dockerfile') text = readInContext(root, 'dockerfile');
  if (text === undefined) throw new ApiError(400, `Cannot locate specified Dockerfile: ${dockerfile}`);
  const ignore = readInContext(root, '.dockerignore');
  return { text, ignore: ignore === undefined ? IgnoreRules.none() : IgnoreRules.parse(ignore) };
}

/** The body, a tar of the context, unpacked into DIR. */
async function unpackContext(ctx: RequestContext, dir: string): Promise<void> {
  const root = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    // an ordinary user's service cannot give the files the tar's owners (COPY takes root's, or --chown's, anyway)
    const own = isRootless() ? { owner: { uid: process.geteuid!(), gid: process.getegid!() } } : {};
    await extractTree(decompress(ctx.body), root, { into: '/', label: 'the build context', ...own });
  } catch (e) {
    if (e instanceof MobyDickError && e.code === 'ARCHIVE') throw new ApiError(400, `invalid build context: ${e.message}`);
    throw e;
  } finally {
    closeSync(root);
  }
}

async function build(engine: Engine, ctx: RequestContext): Promise<void> {
  const req = buildRequestOf(ctx.query);
  const logins = registryConfigs(ctx.headers['x-registry-config']);
  const dir = mkdtempSync(join(tmpdir(), 'moby-dick-context-'));
  try {
    await unpackContext(ctx, dir);
    const root = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    let dockerfile: { text: string; ignore: IgnoreRules };
    try {
      dockerfile = readContext(root, req.dockerfile);
    } finally {
      closeSync(root);
    }
    const out = new JsonStream(ctx);
    const held: JsonMessage[] = [];
    const send = req.quiet ? (m: JsonMessage) => void held.push(m) : (m: JsonMessage) => out.send(m);
    let result;
    let settled = false;
    try {
      const builder = new Builder(engine, {
        context: dir,
        ignore: dockerfile.ignore,
        dockerfile: { text: dockerfile.text, name: req.dockerfile },
        tags: req.tags,
        buildArgs: req.buildArgs,
        ...(req.target !== undefined ? { target: req.target } : {}),
        noCache: req.noCache,
        pull: req.pull,
        labels: req.labels,
        network: req.network,
        progress: new ClassicBuildStream(send),
        credentials: (domain) => logins.get(domain),
      });
      // the client that hangs up cancels the build, as dockerd's: its RUN containers are killed and removed
      void ctx.closed.then(() => {
        if (!settled) builder.cancel('the client went away');
      });
      result = await builder.build().finally(() => (settled = true));
    } catch (e) {
      for (const m of held) out.send(m);
      // a Dockerfile that does not parse or plan: nothing was sent, the client's mistake
      if (!out.started && e instanceof MobyDickError && e.code === 'BUILD') throw new ApiError(400, e.message);
      out.end(e);
      return;
    }
    if (req.quiet) out.send({ stream: `${result.id}\n` });
    else {
      out.send({ id: 'moby.image.id', aux: { ID: result.id } });
      out.send({ stream: `Successfully built ${shortId(result.id)}\n` });
      for (const t of result.tags) out.send({ stream: `Successfully tagged ${familiarString(parseNormalizedReference(t))}\n` });
    }
    out.end();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function buildRoutes(engine: Engine): Route[] {
  return [{ method: 'POST', path: '/build', handler: (ctx) => build(engine, ctx) }];
}
