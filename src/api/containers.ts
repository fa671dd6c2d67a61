/**
 * The container endpoints: /containers/... and /exec/..., each calling the
 * engine as the CLI's commands do (Engine's methods, and the engine's
 * modules the CLI uses: logs, attach, copy, export, stats, top, prune).
 * Long waits (stop, restart, wait, a forced rm) are awaited without
 * blocking the service (the engine's stop and wait poll with timers).
 */
import os from 'node:os';
import type { Duplex, Writable } from 'node:stream';
import { containerChanges } from '../build/container-commit.js';
import { copyFiles, exportFiles, statPath } from '../engine/container-files.js';
import { parsePruneFilters, pruneContainers } from '../engine/container-prune.js';
import type { ContainerView, Engine } from '../engine/engine.js';
import { formatEntry, readLogs } from '../engine/logs.js';
import { sample } from '../engine/stats.js';
import { top } from '../engine/top.js';
import { topPids } from '../engine/container-processes.js';
import { refuseRootlessStats } from '../engine/rootless-container.js';
import { attachClient, hijackedClient } from './attach-client.js';
import { attachWebSocket, webSocketWants } from './attach-ws.js';
import { inspectContainer, summarizeContainer } from './container-json.js';
import { createRequestOf } from './create-request.js';
import { parsePlatform } from '../images/platform.js';
import { ApiError } from './errors.js';
import type { Execs } from './exec.js';
import { checkContainerFilters, containerMatches, parseFilters, summaryPorts } from './filters.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { Sessions, WaitCondition } from './sessions.js';
import { frames, STDERR, STDOUT } from './stdcopy.js';
import { statsJson } from './stats-json.js';
import { updateRequestOf } from './update-request.js';
import type { ContainerPathStat } from './types.js';
import { compareVersions } from './version.js';

const RAW_STREAM = 'application/vnd.docker.raw-stream';
const CHANGE_KINDS = { C: 0, A: 1, D: 2 } as const;
const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

/** A query flag as Docker reads it: 1, true, True... */
export function flag(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return v === '1' || v.toLowerCase() === 'true';
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, `invalid ${name}: ${v}`);
  return n;
}

/** A signal as Docker takes it (9, KILL, SIGKILL): its name. */
export function signalOf(text: string | null, dflt: string): string {
  if (!text) return dflt;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const name = Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
    if (!name) throw new ApiError(400, `invalid signal: ${text}`);
    return name;
  }
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  if (!(name in os.constants.signals)) throw new ApiError(400, `invalid signal: ${text}`);
  return name;
}

/** Docker's `since`/`until` of logs: Unix seconds with an optional fraction; in nanoseconds. */
export function logTime(text: string | null): bigint | undefined {
  if (!text || text === '0') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!m) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new ApiError(400, `invalid time: ${text}`);
    return BigInt(t) * 1_000_000n;
  }
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** Go's os.FileMode of a Unix mode, as X-Docker-Container-Path-Stat carries it. */
export function goFileMode(mode: number): number {
  const type = mode & 0o170000;
  let m = mode & 0o777;
  if (type === 0o040000) m += 2 ** 31;
  else if (type === 0o120000) m += 2 ** 27;
  else if (type === 0o010000) m += 2 ** 25;
  else if (type === 0o140000) m += 2 ** 24;
  else if (type === 0o060000) m += 2 ** 26;
  else if (type === 0o020000) m += 2 ** 26 + 2 ** 21;
  if (mode & 0o4000) m += 2 ** 23;
  if (mode & 0o2000) m += 2 ** 22;
  if (mode & 0o1000) m += 2 ** 20;
  return m;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ContainerDeps {
  engine: Engine;
  sessions: Sessions;
  execs: Execs;
  /** the host address of a published port that names none (the service's --ip) */
  hostIp?: string;
}

export function containerRoutes(d: ContainerDeps): Route[] {
  const { engine, sessions, execs } = d;
  const find = (ctx: RequestContext): ContainerView => engine.inspect(ctx.params.id!);

  async function list(ctx: RequestContext): Promise<void> {
    const q = ctx.query;
    const filters = parseFilters(q.get('filters'));
    checkContainerFilters(filters);
    await engine.releaseStaleNetworks();
    const all = engine.list().sort((a, b) => Date.parse(b.record.created) - Date.parse(a.record.created));
    const published = engine.networks.table.ports();
    let shown = all.filter((v) => (flag(q, 'all') || v.state.Running || filters.has('status') || filters.has('exited')) && containerMatches(v, filters, all, (x) => summaryPorts(x, published)));
    const limit = intParam(q, 'limit');
    if (limit !== undefined && limit > 0) shown = shown.slice(0, limit);
    const now = Date.now();
    ctx.reply.json(200, shown.map((v) => summarizeContainer(v, engine.networkFacts(v), now)));
  }

  async function create(ctx: RequestContext): Promise<void> {
    const req = createRequestOf(await ctx.json(), ctx.query.get('name') ?? undefined, d.hostIp !== undefined ? { hostIp: d.hostIp } : {});
    // ?platform=os/arch (docker run --platform): only this machine's runs (the engine says so)
    const platform = ctx.query.get('platform');
    if (platform) req.platform = parsePlatform(platform);
    // as dockerd's: a missing image is a 404 (No such image), and the client pulls it (the docker CLI
    // shows "Unable to find image" and the pull's progress, and honours its own --pull never)
    req.pull = 'never';
    const record = await engine.create(req);
    ctx.reply.json(201, { Id: record.id, Warnings: [] });
  }

  async function start(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    if (v.state.Running) {
      ctx.reply.empty(304);
      return;
    }
    await sessions.start(v.record.id);
    ctx.reply.empty(204);
  }

  async function stop(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    if (!v.state.Running) {
      ctx.reply.empty(304);
      return;
    }
    const sig = ctx.query.get('signal');
    await engine.stop(v.record.id, intParam(ctx.query, 't'), sig ? signalOf(sig, 'SIGTERM') : undefined);
    ctx.reply.empty(204);
  }

  async function restart(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    const sig = ctx.query.get('signal');
    await engine.restart(v.record.id, intParam(ctx.query, 't'), sig ? signalOf(sig, 'SIGTERM') : undefined, sessions.beforeStart(v.record.id));
    ctx.reply.empty(204);
  }

  function kill(ctx: RequestContext): void {
    engine.kill(ctx.params.id!, signalOf(ctx.query.get('signal'), 'SIGKILL'));
    ctx.reply.empty(204);
  }

  async function remove(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    const force = flag(ctx.query, 'force');
    if (v.state.Running && force) {
      // killed here and awaited with timers: Engine.remove would wait for it blocking the service
      try {
        engine.kill(v.record.id, 'SIGKILL');
      } catch {
        /* ended meanwhile */
      }
      for (let i = 0; i < 200 && engine.inspect(v.record.id).state.Running; i++) await sleep(10);
    }
    engine.remove(v.record.id, force, flag(ctx.query, 'v'));
    ctx.reply.empty(204);
  }

  async function wait(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    const c = ctx.query.get('condition') || 'not-running';
    if (c !== 'not-running' && c !== 'next-exit' && c !== 'removed') throw new ApiError(400, `invalid condition: "${c}"`);
    // the headers at once: the client knows the wait is in place (then starts the container)
    const out = ctx.reply.stream(200, { 'Content-Type': 'application/json' });
    try {
      const code = await sessions.wait(v.record.id, c as WaitCondition, ctx.closed);
      out.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
    } catch (e) {
      out.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } })}\n`);
    }
  }

  async function logs(ctx: RequestContext): Promise<void> {
    const q = ctx.query;
    const v = find(ctx);
    const wantOut = flag(q, 'stdout');
    const wantErr = flag(q, 'stderr');
    if (!wantOut && !wantErr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
    if (v.record.log.driver === 'none') throw new ApiError(501, 'configured logging driver does not support reading');
    const tty = v.record.engine.tty;
    const tailText = q.get('tail');
    const tail = tailText === null || tailText === 'all' || tailText === '' ? undefined : Number(tailText);
    const since = logTime(q.get('since'));
    const until = logTime(q.get('until'));
    const timestamps = flag(q, 'timestamps');
    const framed = !tty;
    const out = ctx.reply.stream(200, { 'Content-Type': framed && compareVersions(ctx.version, '1.42') >= 0 ? MULTIPLEXED : RAW_STREAM });
    // a follow ends when the client goes (or the service stops): the abort
    // reaches the reader while it waits between polls, where return() on
    // the generator would wait for its next entry (never, once the
    // container and its log are removed: the service then never ended)
    const abort = new AbortController();
    const entries = readLogs(v.paths.log, {
      ...(tail !== undefined && Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(flag(q, 'follow') && v.state.Running ? { follow: true, exitFile: v.paths.exitFile, signal: abort.signal } : {}),
    });
    let gone = false;
    void ctx.closed.then(() => {
      gone = true;
      abort.abort();
    });
    for await (const e of entries) {
      if (gone) break;
      const isErr = e.stream === 'stderr';
      if ((isErr && !wantErr) || (!isErr && !wantOut)) continue;
      const line = Buffer.from(formatEntry(e, { timestamps }));
      const data = framed ? frames(isErr ? STDERR : STDOUT, line) : line;
      if (!out.write(data) && !gone) await Promise.race([new Promise((r) => out.once('drain', r)), ctx.closed]);
    }
    out.end();
  }

  /** POST /containers/{id}/attach: the hijacked connection, at once if it runs, at its start if not yet (attach-client.ts). */
  async function attachTo(ctx: RequestContext): Promise<void> {
    const q = ctx.query;
    const v = find(ctx);
    const framed = !v.record.engine.tty;
    const conn = ctx.reply.hijack(framed && compareVersions(ctx.version, '1.42') >= 0 ? MULTIPLEXED : RAW_STREAM);
    conn.on('error', () => conn.destroy());
    const wants = {
      stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), logs: flag(q, 'logs'), stream: flag(q, 'stream'),
      detachKeys: q.get('detachKeys') ?? '', closeStdin: true,
    };
    await attachClient(sessions, v, wants, hijackedClient(conn, framed));
  }

  /** POST /containers/{id}/update: Docker's UpdateConfig; the host's warnings in the answer. */
  async function updateOf(ctx: RequestContext): Promise<void> {
    const req = updateRequestOf(await ctx.json(), ctx.version);
    const { warnings } = await engine.update(ctx.params.id!, req);
    ctx.reply.json(200, { Warnings: warnings });
  }

  async function resize(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    const h = intParam(ctx.query, 'h') ?? 0;
    const w = intParam(ctx.query, 'w') ?? 0;
    if (!v.state.Running) throw new ApiError(409, `Container ${v.record.id} is not running`);
    if (v.record.engine.tty && h > 0 && w > 0) await sessions.resize(v, h, w);
    ctx.reply.empty(200);
  }

  function topOf(ctx: RequestContext): void {
    const v = find(ctx);
    if (!v.state.Running) throw new ApiError(409, `Container ${v.record.id} is not running`);
    const psArgs = (ctx.query.get('ps_args') ?? '').split(/\s+/).filter(Boolean);
    const r = top(topPids(engine, v), psArgs.length ? psArgs : undefined);
    ctx.reply.json(200, { Titles: r.titles, Processes: r.processes });
  }

  async function stats(ctx: RequestContext): Promise<void> {
    const v = find(ctx);
    refuseRootlessStats(engine.options.rootless);
    const stream = flag(ctx.query, 'stream', true);
    const oneShot = flag(ctx.query, 'one-shot');
    const take = () => ({ s: sample(engine, v.record.id), at: new Date() });
    if (!stream) {
      let prev = take();
      let cur = prev;
      if (!oneShot && v.state.Running) {
        await sleep(1000);
        cur = take();
      } else prev = { ...prev, s: { ...prev.s, cpuNs: 0, systemNs: 0 } };
      ctx.reply.json(200, statsJson(v.record.id, v.record.name, cur.s, cur.at, oneShot ? undefined : prev.s, oneShot ? undefined : prev.at));
      return;
    }
    const out = ctx.reply.stream(200, { 'Content-Type': 'application/json' });
    let gone = false;
    void ctx.closed.then(() => (gone = true));
    let prev: ReturnType<typeof take> | undefined;
    while (!gone) {
      const cur = take();
      out.write(`${JSON.stringify(statsJson(v.record.id, v.record.name, cur.s, cur.at, prev?.s, prev?.at))}\n`);
      prev = cur;
      if (!engine.inspect(v.record.id).state.Running) break;
      await sleep(1000);
    }
    out.end();
  }

  async function pathStat(ctx: RequestContext): Promise<string> {
    const path = ctx.query.get('path');
    if (!path) throw new ApiError(400, 'path is required');
    const st = await statPath(engine, ctx.params.id!, path);
    const stat: ContainerPathStat = { name: st.name, size: st.stat.size, mode: goFileMode(st.stat.mode), mtime: new Date(st.stat.mtime * 1000).toISOString(), linkTarget: st.linkTarget };
    return Buffer.from(JSON.stringify(stat)).toString('base64');
  }

  /** A tar answered as a stream: ended when WRITE is done, cut off (the client sees a short tar) when it fails midway. */
  async function streamTar(ctx: RequestContext, headers: Record<string, string>, write: (out: Writable) => Promise<unknown>): Promise<void> {
    const out = ctx.reply.stream(200, { ...headers, 'Content-Type': 'application/x-tar' });
    try {
      await write(out);
      out.end();
    } catch {
      out.destroy();
    }
  }

  async function archiveHead(ctx: RequestContext): Promise<void> {
    ctx.reply.empty(200, { 'X-Docker-Container-Path-Stat': await pathStat(ctx), 'Content-Type': 'application/x-tar' });
  }

  async function archiveGet(ctx: RequestContext): Promise<void> {
    const stat = await pathStat(ctx);
    await streamTar(ctx, { 'X-Docker-Container-Path-Stat': stat }, (out) =>
      copyFiles(engine, { container: ctx.params.id!, path: ctx.query.get('path')! }, { path: '-' }, { archive: true, followLink: false, stdin: ctx.body, stdout: out, cwd: '/' }),
    );
  }

  async function archivePut(ctx: RequestContext): Promise<void> {
    const path = ctx.query.get('path');
    if (!path) throw new ApiError(400, 'path is required');
    find(ctx);
    await copyFiles(engine, { path: '-' }, { container: ctx.params.id!, path }, { archive: flag(ctx.query, 'copyUIDGID'), followLink: false, stdin: ctx.body, cwd: '/' });
    ctx.reply.empty(200);
  }

  async function exportOf(ctx: RequestContext): Promise<void> {
    find(ctx);
    await streamTar(ctx, {}, (out) => exportFiles(engine, ctx.params.id!, out));
  }

  async function rename(ctx: RequestContext): Promise<void> {
    const name = ctx.query.get('name');
    if (!name) throw new ApiError(400, 'name is required');
    await engine.rename(ctx.params.id!, name);
    ctx.reply.empty(204);
  }

  function pause(frozen: boolean) {
    return (ctx: RequestContext): void => {
      engine.pause(ctx.params.id!, frozen);
      ctx.reply.empty(204);
    };
  }

  function prune(ctx: RequestContext): void {
    const filters = parseFilters(ctx.query.get('filters'));
    const list: string[] = [];
    for (const [k, values] of filters) for (const x of values) list.push(`${k}=${x}`);
    const parseTime = (t: string): number => {
      if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
      const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
      if (dur && t !== '') return Date.now() - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000;
      const ms = Date.parse(t);
      if (Number.isNaN(ms)) throw new ApiError(400, `invalid until: ${t}`);
      return ms;
    };
    const { deleted, bytes } = pruneContainers(engine, parsePruneFilters(list, parseTime));
    ctx.reply.json(200, { ContainersDeleted: deleted, SpaceReclaimed: bytes });
  }

  /** docker diff: Docker's Kind is 0 changed, 1 added, 2 deleted */
  async function changes(ctx: RequestContext): Promise<void> {
    const list = await containerChanges(engine, find(ctx).record.id);
    ctx.reply.json(200, list.map((c) => ({ Path: c.path, Kind: CHANGE_KINDS[c.kind] })));
  }

  async function execCreate(ctx: RequestContext): Promise<void> {
    const id = execs.create(ctx.params.id!, await ctx.json());
    ctx.reply.json(201, { Id: id });
  }

  async function execStart(ctx: RequestContext): Promise<void> {
    const body = (await ctx.json()) as { Detach?: unknown } | undefined;
    const x = execs.get(ctx.params.id!);
    if (body?.Detach === true) {
      await execs.startDetached(x.id);
      ctx.reply.empty(200);
      return;
    }
    const conn: Duplex = ctx.reply.hijack(!x.config.Tty && compareVersions(ctx.version, '1.42') >= 0 ? MULTIPLEXED : RAW_STREAM);
    conn.on('error', () => conn.destroy());
    await execs.startAttached(x.id, conn);
    conn.end();
  }

  return [
    { method: 'GET', path: '/containers/json', handler: list },
    { method: 'POST', path: '/containers/create', handler: create },
    { method: 'POST', path: '/containers/prune', handler: prune },
    { method: 'GET', path: '/containers/{id}/json', handler: (ctx) => {
      const v = find(ctx);
      ctx.reply.json(200, inspectContainer(v, engine.networkFacts(v)));
    } },
    { method: 'GET', path: '/containers/{id}/top', handler: topOf },
    { method: 'GET', path: '/containers/{id}/logs', handler: logs },
    { method: 'GET', path: '/containers/{id}/changes', handler: changes },
    { method: 'GET', path: '/containers/{id}/export', handler: exportOf },
    { method: 'GET', path: '/containers/{id}/stats', handler: stats },
    { method: 'POST', path: '/containers/{id}/resize', handler: resize },
    { method: 'POST', path: '/containers/{id}/start', handler: start },
    { method: 'POST', path: '/containers/{id}/stop', handler: stop },
    { method: 'POST', path: '/containers/{id}/restart', handler: restart },
    { method: 'POST', path: '/containers/{id}/kill', handler: kill },
    { method: 'POST', path: '/containers/{id}/update', handler: updateOf },
    { method: 'POST', path: '/containers/{id}/rename', handler: rename },
    { method: 'POST', path: '/containers/{id}/pause', handler: pause(true) },
    { method: 'POST', path: '/containers/{id}/unpause', handler: pause(false) },
    { method: 'POST', path: '/containers/{id}/attach', handler: attachTo, hijack: true },
    { method: 'GET', path: '/containers/{id}/attach/ws', handler: (ctx) => attachWebSocket(ctx, find(ctx), sessions, webSocketWants(ctx.query, ctx.version, flag)), hijack: true },
    { method: 'POST', path: '/containers/{id}/wait', handler: wait },
    { method: 'DELETE', path: '/containers/{id}', handler: remove },
    { method: 'HEAD', path: '/containers/{id}/archive', handler: archiveHead },
    { method: 'GET', path: '/containers/{id}/archive', handler: archiveGet },
    { method: 'PUT', path: '/containers/{id}/archive', handler: archivePut },
    { method: 'POST', path: '/containers/{id}/exec', handler: execCreate },
    { method: 'POST', path: '/exec/{id}/start', handler: execStart, hijack: true },
    { method: 'POST', path: '/exec/{id}/resize', handler: (ctx) => {
      execs.get(ctx.params.id!);
      ctx.reply.empty(200);
    } },
    { method: 'GET', path: '/exec/{id}/json', handler: (ctx) => ctx.reply.json(200, execs.inspect(ctx.params.id!)) },
  ];
}

