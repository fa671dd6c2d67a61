/**
 * `moby-dick events [--since T] [--until T] [--filter k=v]... [--format TPL]`:
 * the engine's events recorded in the store (util/event-log.ts) from SINCE,
 * then new ones as they come (the store polled every 150 ms) until UNTIL
 * has passed, or until interrupted; Docker's line or FORMAT for each.
 */
import { type EngineEvent, eventJson, eventLine, eventMatches, eventMessage, followEvents, nowNano, parseEventFilters, parseEventTime } from '../../util/event-log.js';
import { defineCommand } from '../command.js';
import { MobyDickError } from '../../errors.js';
import { GoObject, renderTemplate } from '../go-template.js';
import { formatError } from '../report-error.js';
import { withStore } from '../image-context.js';

/** What --format sees: Docker's events.Message, with Go's field names ({{json .}} the wire object). */
function eventValue(e: EngineEvent, typeName = 'events.Message'): GoObject {
  const m = eventMessage(e);
  const actor = new GoObject('events.Actor', { ID: m.Actor.ID, Attributes: m.Actor.Attributes });
  return new GoObject(
    typeName,
    { Status: m.status ?? '', ID: m.id ?? '', From: m.from ?? '', Type: m.Type, Action: m.Action, Actor: actor, Scope: m.scope, Time: m.time, TimeNano: e.timeNano },
    // Go marshals the Attributes map with its keys sorted
    { json: () => eventJson({ ...e, actor: { ...e.actor, attributes: Object.fromEntries(Object.entries(e.actor.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } }) },
  );
}

const EMPTY_EVENT: EngineEvent = { seq: 0, type: '' as EngineEvent['type'], action: '', actor: { id: '', attributes: {} }, scope: 'local', timeNano: 0n };

export const command = defineCommand({
  name: 'events',
  usage: 'events [--since T] [--until T] [-f KEY=VALUE]... [--format json|TEMPLATE]',
  summary: 'Get real time events from the server',
  description: `Get real time events from the server (the history the CLI records in the store)

Options:
  -f, --filter KEY=VALUE   container=, image=, event=, type=, label=, network=, volume=,
                           scope=, daemon= (a key's values ORed, the keys ANDed)
      --format FORMAT      json (one object per line) or a Go template
      --since T            events since T (RFC 3339, a Unix time, or a duration: 10m)
      --until T            events until T, then end (without: follow the new ones)`,
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    filter: { type: 'string', short: 'f', multiple: true },
    format: { type: 'string' },
  },
  args: { min: 0, max: 0 },
  async run(values) {
    const now = nowNano();
    const since = values.since === undefined ? now : parseEventTime(values.since, now);
    const until = values.until === undefined ? undefined : parseEventTime(values.until, now);
    const filters = parseEventFilters(values.filter ?? []);
    // Docker: json is {{json .}}; a template is tried on an empty event first, so a bad one fails at once
    const format = values.format === 'json' ? '{{json .}}' : values.format;
    if (format !== undefined && format !== '') {
      try {
        renderTemplate(format, eventValue(EMPTY_EVENT, '*events.Message'), { errorPrefix: 'Error parsing format' });
      } catch (e) {
        if (!(e instanceof MobyDickError) || e.code !== 'TEMPLATE') throw e;
        // Docker's status for a format it cannot use
        process.stderr.write(`${formatError(e)}\n`);
        return 64;
      }
    }
    const interrupted = new AbortController();
    const stop = (): void => interrupted.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await withStore((store) =>
        followEvents(store.events, { since, ...(until !== undefined ? { until } : {}), signal: interrupted.signal }, (e) => {
          if (!eventMatches(e, filters)) return;
          process.stdout.write(format === undefined || format === '' ? `${eventLine(e)}\n` : `${renderTemplate(format, eventValue(e))}\n`);
        }),
      );
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
});
