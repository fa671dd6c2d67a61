/**
 * POST /commit (`docker commit`): a container's changes as a new image, as
 * `moby-dick commit` makes it (build/container-commit.ts). The query has
 * the container, repo and tag, comment, author, pause (default true) and
 * changes (Dockerfile instructions, one a parameter or a line); the body
 * is a container config whose fields go over the container's own
 * (commitBodyConfig). The answer is 201 with the image's ID.
 */
import { commitContainer } from '../build/container-commit.js';
import type { RunConfig } from '../build/config-steps.js';
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { object, string, stringMap, strings, stringOrStrings } from './body.js';
import { parseNormalizedReference, referenceString, withDefaultTag } from '../images/reference.js';
import { ApiError } from './errors.js';
import { pullName } from './images.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';

/** The fields of a commit's body that an image's config carries, typed; the others (Hostname, Tty, ...) are not an image's. */
export function commitBodyConfig(body: unknown): RunConfig {
  const o = object(body, 'body');
  if (!o) return {};
  const c: RunConfig = {};
  const cmd = stringOrStrings(o.Cmd, 'Cmd');
  if (cmd) c.Cmd = cmd;
  const entrypoint = stringOrStrings(o.Entrypoint, 'Entrypoint');
  if (entrypoint) c.Entrypoint = entrypoint;
  const env = strings(o.Env, 'Env');
  if (env) c.Env = env;
  for (const k of ['WorkingDir', 'User', 'StopSignal'] as const) {
    const v = string(o[k], k);
    if (v) c[k] = v;
  }
  const labels = stringMap(o.Labels, 'Labels');
  if (labels) c.Labels = labels;
  for (const k of ['ExposedPorts', 'Volumes'] as const) {
    const v = object(o[k], k);
    if (v) c[k] = Object.fromEntries(Object.keys(v).map((p) => [p, {}]));
  }
  const onBuild = strings(o.OnBuild, 'OnBuild');
  if (onBuild) c.OnBuild = onBuild;
  const shell = strings(o.Shell, 'Shell');
  if (shell) c.Shell = shell;
  const hc = object(o.Healthcheck, 'Healthcheck');
  if (hc) {
    const test = strings(hc.Test, 'Healthcheck.Test');
    if (test) c.Healthcheck = { ...(hc as Record<string, never>), Test: test };
  }
  return c;
}

/** The reference a commit names (repo, and tag when given), or undefined for an untagged image. */
export function commitReference(q: URLSearchParams): string | undefined {
  const repo = q.get('repo') ?? '';
  const tag = q.get('tag') ?? '';
  if (repo === '') {
    if (tag !== '') throw new ApiError(400, 'tag given without repo');
    return undefined;
  }
  try {
    return referenceString(withDefaultTag(parseNormalizedReference(pullName(repo, tag))));
  } catch (e) {
    if (e instanceof MobyDickError) throw new ApiError(400, e.message);
    throw e;
  }
}

async function commit(engine: Engine, ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const container = q.get('container') ?? '';
  if (container === '') throw new ApiError(400, 'container is required');
  const reference = commitReference(q);
  const config = commitBodyConfig(await ctx.json());
  const pause = q.get('pause');
  const comment = q.get('comment') ?? '';
  const author = q.get('author') ?? '';
  const id = await commitContainer(engine, container, {
    ...(reference !== undefined ? { reference } : {}),
    ...(comment !== '' ? { message: comment } : {}),
    ...(author !== '' ? { author } : {}),
    changes: q.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== ''),
    // absent: true, as Docker's API since 1.13
    pause: pause === null || pause === '' || !['0', 'false'].includes(pause.toLowerCase()),
    config,
  });
  ctx.reply.json(201, { Id: id });
}

export function commitRoutes(engine: Engine): Route[] {
  return [{ method: 'POST', path: '/commit', handler: (ctx) => commit(engine, ctx) }];
}
