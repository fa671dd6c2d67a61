/**
 * The engine's events (`moby-dick events`, GET /events): one history in the
 * store's SQLite database (the `events` table, made by the store's
 * migrations in images/store/db.ts), so that every CLI process, every
 * container's monitor (container-exited) and the API service append to it
 * and read it alike. SQLite rather than an append-only file: the store's
 * database is already open in every process that makes an event, its
 * writes are serialised under WAL (the sequence numbers are the commit
 * order, which is what a reader that polls `seq > last` needs), and keeping
 * it bounded is one indexed DELETE. It keeps the last KEEP events (10,000
 * by default; Docker keeps 1,024 in memory, and loses them on restart).
 *
 * Docker's shape: Type, Action, Actor {ID, Attributes}, scope "local",
 * time and timeNano. This module also holds what both faces share: the
 * filters (Docker's rules), since/until as Docker reads them, the line
 * `docker events` prints, and the wire object with the legacy fields.
 * Recording never fails the operation it records: a store that cannot take
 * the event loses it (the operation has happened).
 */
import type { Database } from 'better-sqlite3';
import { MobyDickError } from '../errors.js';

export type EventType = 'container' | 'image' | 'network' | 'volume';
export const EVENT_TYPES: readonly EventType[] = ['container', 'image', 'network', 'volume'];

export interface EngineEvent {
  /** the store's sequence number: the order events were recorded in */
  seq: number;
  type: EventType;
  action: string;
  actor: { id: string; attributes: Record<string, string> };
  scope: 'local';
  /** nanoseconds since the epoch */
  timeNano: bigint;
}

/** What records an event (the store's EventLog; a no-op where there is no store). */
export type EventRecorder = (type: EventType, action: string, id: string, attributes?: Readonly<Record<string, string | undefined>>) => void;

/** The clock in nanoseconds: the wall clock's milliseconds, the finer part from the monotonic clock. */
export function nowNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

interface EventRow {
  seq: bigint;
  time_nano: bigint;
  type: string;
  action: string;
  actor_id: string;
  attributes: string;
}

export class EventLog {
  constructor(
    private readonly db: Database,
    private readonly keep = 10_000,
    private readonly clock: () => bigint = nowNano,
  ) {}

  /** Appends an event (attributes without a value are left out); the oldest beyond KEEP go. */
  record(type: EventType, action: string, id: string, attributes: Readonly<Record<string, string | undefined>> = {}): void {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) attrs[k] = v;
    try {
      const r = this.db
        .prepare('INSERT INTO events (time_nano, type, action, actor_id, attributes) VALUES (?, ?, ?, ?, ?)')
        .run(this.clock(), type, action, id, JSON.stringify(attrs));
      const seq = BigInt(r.lastInsertRowid);
      if (seq % 100n === 0n) this.db.prepare('DELETE FROM events WHERE seq <= ?').run(seq - BigInt(this.keep));
    } catch {
      /* the operation happened; its event is lost (a read-only or full store) */
    }
  }

  /** The recorder to hand to code that makes events. */
  get recorder(): EventRecorder {
    return (type, action, id, attributes) => this.record(type, action, id, attributes);
  }

  /** Events after sequence number AFTER (0: from the oldest kept), at or after SINCE, at or before UNTIL (nanoseconds), oldest first, at most LIMIT. */
  read(after: number, since?: bigint, until?: bigint, limit = 1000): EngineEvent[] {
    const rows = this.db
      .prepare('SELECT seq, time_nano, type, action, actor_id, attributes FROM events WHERE seq > ? AND time_nano >= ? AND time_nano <= ? ORDER BY seq LIMIT ?')
      .safeIntegers(true)
      .all(BigInt(after), since ?? 0n, until ?? 9_223_372_036_854_775_807n, BigInt(limit)) as EventRow[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      type: r.type as EventType,
      action: r.action,
      actor: { id: r.actor_id, attributes: JSON.parse(r.attributes) as Record<string, string> },
      scope: 'local',
      timeNano: r.time_nano,
    }));
  }

  /** The newest sequence number (0 for none). */
  lastSeq(): number {
    const r = this.db.prepare('SELECT MAX(seq) AS seq FROM events').get() as { seq: number | null };
    return r.seq ?? 0;
  }
}

/**
 * Events from LOG as they come: those after SINCE, then new ones polled
 * every POLL_MS until UNTIL has passed (nanoseconds) or SIGNAL aborts.
 * Each batch goes to EMIT; the timer is cleared when it ends.
 */
export async function followEvents(
  log: Pick<EventLog, 'read'>,
  o: { since?: bigint; until?: bigint; pollMs?: number; signal?: AbortSignal; clock?: () => bigint; follow?: boolean },
  emit: (e: EngineEvent) => void,
): Promise<void> {
  const clock = o.clock ?? nowNano;
  let last = 0;
  for (;;) {
    if (o.signal?.aborted) return;
    const done = o.until !== undefined && clock() > o.until;
    for (;;) {
      const batch = log.read(last, o.since, o.until);
      for (const e of batch) {
        last = e.seq;
        emit(e);
      }
      if (batch.length < 1000) break;
    }
    if (done || o.follow === false) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, o.pollMs ?? 150);
      function done(): void {
        clearTimeout(t);
        o.signal?.removeEventListener('abort', done);
        resolve();
      }
      o.signal?.addEventListener('abort', done, { once: true });
    });
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A time as Docker's `--since`/`--until` (and the API's since/until) take
 * it, in nanoseconds since the epoch: unix seconds with an optional
 * fraction ("1765015200.5"), a Go duration before NOW ("10m", "1h30m"),
 * RFC 3339 with or without a zone (UTC then) or fraction, or a date.
 */
export function parseEventTime(text: string, now: bigint = nowNano()): bigint {
  const t = text.trim();
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(t);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0') || '0');
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) {
    let ns = 0;
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    return now - BigInt(Math.round(ns));
  }
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (iso) {
    const zone = iso[4] === undefined || iso[4].toUpperCase() === 'Z' ? 'Z' : iso[4].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    const clock = iso[2] === undefined ? '00:00:00' : iso[2].length === 5 ? `${iso[2]}:00` : iso[2];
    const ms = Date.parse(`${iso[1]}T${clock}${zone}`);
    if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n + BigInt((iso[3] ?? '').padEnd(9, '0') || '0');
  }
  throw new MobyDickError('USAGE', `invalid value for time: ${text}`, {
    subject: text,
    hint: 'give unix seconds, an RFC 3339 time (2026-12-06T10:00:00Z) or a duration before now (10m)',
  });
}

export type EventFilters = ReadonlyMap<string, readonly string[]>;
export const EVENT_FILTERS = ['container', 'event', 'image', 'label', 'network', 'type', 'volume', 'scope', 'daemon'] as const;

/** `--filter k=v` arguments as filters; an unknown key is refused by name. */
export function parseEventFilters(args: readonly string[]): EventFilters {
  const out = new Map<string, string[]>();
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new MobyDickError('USAGE', `bad format of filter (expected name=value): ${a}`, { subject: a });
    const key = a.slice(0, eq).toLowerCase();
    checkEventFilterKey(key);
    out.set(key, [...(out.get(key) ?? []), a.slice(eq + 1)]);
  }
  return out;
}

export function checkEventFilterKey(key: string): void {
  if (!(EVENT_FILTERS as readonly string[]).includes(key)) throw new MobyDickError('USAGE', `invalid filter '${key}'`, { subject: key });
}

/** Any of KEY's values equal to one of VALUES (or KEY not given). */
function exact(f: EventFilters, key: string, ...values: (string | undefined)[]): boolean {
  const want = f.get(key);
  return !want || want.length === 0 || want.some((w) => values.includes(w));
}

/** KEY's values against the actor's ID (or a prefix of it) or its name, whatever the event's type (as Docker). */
function byName(f: EventFilters, key: string, e: EngineEvent): boolean {
  const want = f.get(key);
  if (!want || want.length === 0) return true;
  const name = e.actor.attributes.name;
  return want.some((w) => w === name || (w !== '' && e.actor.id.startsWith(w)));
}

function stripTag(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/') ? base.slice(0, colon) : base;
}

/** Docker's rules: each key's values ORed, the keys ANDed; container, network, volume by the actor's ID prefix or name. */
export function eventMatches(e: EngineEvent, f: EventFilters): boolean {
  const a = e.actor.attributes;
  const image = e.type === 'image' ? e.actor.id : a.image;
  const action = e.action.split(':')[0];
  return (
    exact(f, 'type', e.type) &&
    exact(f, 'scope', e.scope) &&
    exact(f, 'event', e.action, action) &&
    byName(f, 'container', e) &&
    byName(f, 'network', e) &&
    byName(f, 'volume', e) &&
    exact(f, 'image', image, stripTag(image), e.actor.id, a.name) &&
    (f.get('label') ?? []).every((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? l in a : a[l.slice(0, eq)] === l.slice(eq + 1);
    })
  );
}

/** Go's RFC3339Nano with a fixed 9-digit fraction, in UTC: 2026-12-06T10:00:00.000000000Z. */
export function eventTimeString(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const frac = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** The line `docker events` prints: time, type, action, actor ID, then the attributes sorted by key. */
export function eventLine(e: EngineEvent): string {
  const attrs = Object.keys(e.actor.attributes)
    .sort()
    .map((k) => `${k}=${e.actor.attributes[k]}`);
  return `${eventTimeString(e.timeNano)} ${e.type} ${e.action} ${e.actor.id}${attrs.length ? ` (${attrs.join(', ')})` : ''}`;
}

/** Docker's events.Message on the wire (timeNano a number: exact in eventJson). */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** The wire object, with the legacy status/id/from of container and image events. */
export function eventMessage(e: EngineEvent): EventMessage {
  const legacy: Pick<EventMessage, 'status' | 'id' | 'from'> = {};
  if (e.type === 'container' || e.type === 'image') {
    legacy.status = e.action;
    legacy.id = e.actor.id;
    if (e.type === 'container' && e.actor.attributes.image !== undefined) legacy.from = e.actor.attributes.image;
  }
  return {
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actor.id, Attributes: { ...e.actor.attributes } },
    scope: e.scope,
    time: Number(e.timeNano / 1_000_000_000n),
    timeNano: Number(e.timeNano),
  };
}

/** The wire object as one line of JSON, timeNano with all its digits. */
export function eventJson(e: EngineEvent): string {
  const m = eventMessage(e);
  return JSON.stringify({ ...m, timeNano: 0 }).replace(/"timeNano":0}$/, `"timeNano":${e.timeNano.toString()}}`);
}

/** The value `--format` sees: the wire object, with Go's field names (Status, ID, From, Scope, Time, TimeNano) beside the JSON ones. */
export function eventTemplateValue(e: EngineEvent): EventMessage {
  const m = eventMessage(e);
  const alias = (v: unknown): PropertyDescriptor => ({ value: v, enumerable: false });
  Object.defineProperties(m, {
    Status: alias(m.status),
    ID: alias(m.id),
    From: alias(m.from),
    Scope: alias(m.scope),
    Time: alias(m.time),
    TimeNano: alias(m.timeNano),
  });
  return m;
}
