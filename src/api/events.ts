/**
 * GET /events: the engine's events from the store (util/event-log.ts, the
 * history the CLI's `events` reads), one JSON object a line in Docker's
 * shape with the legacy status/id/from; those at or after `since`, then
 * new ones (the store polled every 150 ms) until `until` has passed or the
 * client goes away: then the poll's timer is cleared and the stream ends.
 */
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import { EVENT_FILTERS, eventJson, eventMatches, followEvents, nowNano, parseEventTime } from '../util/event-log.js';
import { ApiError } from './errors.js';
import { filtersOf } from './filter-match.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';

function timeOf(query: URLSearchParams, name: string, now: bigint): bigint | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  try {
    return parseEventTime(v, now);
  } catch (e) {
    if (e instanceof MobyDickError) throw new ApiError(400, `invalid ${name}: ${v}`);
    throw e;
  }
}

async function events(engine: Engine, ctx: RequestContext, pollMs: number): Promise<void> {
  const filters = filtersOf(ctx.query, EVENT_FILTERS);
  const now = nowNano();
  const since = timeOf(ctx.query, 'since', now) ?? now;
  const until = timeOf(ctx.query, 'until', now);
  const out = ctx.reply.stream(200, { 'Content-Type': 'application/json' });
  const gone = new AbortController();
  void ctx.closed.then(() => gone.abort());
  out.on('error', () => gone.abort());
  try {
    await followEvents(engine.store.events, { since, ...(until !== undefined ? { until } : {}), pollMs, signal: gone.signal }, (e) => {
      if (eventMatches(e, filters)) out.write(`${eventJson(e)}\n`);
    });
  } finally {
    if (!out.destroyed) out.end();
  }
}

export function eventRoutes(engine: Engine, pollMs = 150): Route[] {
  return [{ method: 'GET', path: '/events', handler: (ctx) => events(engine, ctx, pollMs) }];
}
