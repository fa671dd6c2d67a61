import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EngineEvent, eventJson, eventLine, eventMatches, eventMessage, eventTemplateValue, followEvents, parseEventFilters, parseEventTime } from './event-log.js';

const T = 1_765_015_200_123_456_789n; // 2025-12-06T10:00:00.123456789Z
const ev = (o: Partial<EngineEvent> & Pick<EngineEvent, 'type' | 'action'>, id = 'abc123', attributes: Record<string, string> = {}): EngineEvent => ({
  seq: 1,
  scope: 'local',
  timeNano: T,
  actor: { id, attributes },
  ...o,
});

test('times as Docker takes them: unix seconds, fractions, durations before now, RFC 3339, dates', () => {
  assert.equal(parseEventTime('1765015200'), 1_765_015_200_000_000_000n);
  assert.equal(parseEventTime('1765015200.5'), 1_765_015_200_500_000_000n);
  assert.equal(parseEventTime('10m', T), T - 600_000_000_000n);
  assert.equal(parseEventTime('1h30m', T), T - 5_400_000_000_000n);
  assert.equal(parseEventTime('2025-12-06T10:00:00Z'), 1_765_015_200_000_000_000n);
  assert.equal(parseEventTime('2025-12-06T10:00:00.25Z'), 1_765_015_200_250_000_000n);
  assert.equal(parseEventTime('2025-12-06T11:00:00+01:00'), 1_765_015_200_000_000_000n);
  assert.equal(parseEventTime('2025-12-06'), 1_764_979_200_000_000_000n);
  assert.throws(() => parseEventTime('yesterday'), /invalid value for time: yesterday/);
});

test("the line docker events prints: fixed nanoseconds, attributes sorted", () => {
  const e = ev({ type: 'container', action: 'die' }, 'c0ffee', { name: 'web', image: 'busybox', exitCode: '3' });
  assert.equal(eventLine(e), '2025-12-06T10:00:00.123456789Z container die c0ffee (exitCode=3, image=busybox, name=web)');
  assert.equal(eventLine(ev({ type: 'volume', action: 'create' }, 'v1')), '2025-12-06T10:00:00.123456789Z volume create v1');
});

test('the wire shape: legacy fields for containers and images, timeNano exact', () => {
  const c = ev({ type: 'container', action: 'start' }, 'c0ffee', { name: 'web', image: 'busybox' });
  const m = eventMessage(c);
  assert.equal(m.status, 'start');
  assert.equal(m.id, 'c0ffee');
  assert.equal(m.from, 'busybox');
  assert.equal(m.time, 1_765_015_200);
  assert.deepEqual(m.Actor, { ID: 'c0ffee', Attributes: { name: 'web', image: 'busybox' } });
  assert.match(eventJson(c), /"scope":"local","time":1765015200,"timeNano":1765015200123456789}$/);
  const n = eventMessage(ev({ type: 'network', action: 'create' }, 'n1', { name: 'net' }));
  assert.equal(n.status, undefined);
  assert.equal(n.from, undefined);
  const v = eventTemplateValue(c) as unknown as Record<string, unknown>;
  assert.equal(v.Status, 'start');
  assert.equal(v.ID, 'c0ffee');
  assert.equal(JSON.stringify(v).includes('Status'), false);
});

test("filters: Docker's rules (keys ANDed, values ORed; names and ID prefixes)", () => {
  const start = ev({ type: 'container', action: 'start' }, 'c0ffee', { name: 'web', image: 'docker.io/library/busybox:latest', tier: 'front' });
  const exec = ev({ type: 'container', action: 'exec_start: sh -c true' }, 'c0ffee', { name: 'web', image: 'busybox' });
  const pull = ev({ type: 'image', action: 'pull' }, 'busybox:latest', { name: 'busybox:latest' });
  const net = ev({ type: 'network', action: 'connect' }, 'n1', { name: 'backend', container: 'c0ffee' });
  const f = (...a: string[]) => parseEventFilters(a);
  assert.ok(eventMatches(start, f('type=container', 'event=start')));
  assert.ok(!eventMatches(start, f('type=image')));
  assert.ok(eventMatches(start, f('type=image', 'type=container')));
  assert.ok(eventMatches(start, f('container=web')) && eventMatches(start, f('container=c0f')));
  assert.ok(!eventMatches(pull, f('container=web')));
  assert.ok(eventMatches(exec, f('event=exec_start')));
  assert.ok(eventMatches(start, f('label=tier')) && eventMatches(start, f('label=tier=front')) && !eventMatches(start, f('label=tier=back')));
  assert.ok(eventMatches(pull, f('image=busybox:latest')) && eventMatches(start, f('image=docker.io/library/busybox')));
  assert.ok(eventMatches(net, f('network=backend')) && !eventMatches(net, f('network=front')));
  assert.throws(() => f('colour=red'), /invalid filter 'colour'/);
  assert.throws(() => f('nokey'), /bad format of filter/);
});

test('follow: past events, then new ones until `until`, its timer cleared on abort', async () => {
  const events: EngineEvent[] = [];
  const log = { read: (after: number) => events.filter((e) => e.seq > after) };
  events.push(ev({ type: 'container', action: 'create', seq: 1 }));
  const seen: string[] = [];
  let now = T;
  const ac = new AbortController();
  const done = followEvents(log, { pollMs: 5, signal: ac.signal, until: T + 1_000n, clock: () => now }, (e) => seen.push(e.action));
  await new Promise((r) => setTimeout(r, 20));
  events.push(ev({ type: 'container', action: 'start', seq: 2 }));
  await new Promise((r) => setTimeout(r, 20));
  now = T + 2_000n;
  await done;
  assert.deepEqual(seen, ['create', 'start']);
  const ac2 = new AbortController();
  const forever = followEvents(log, { pollMs: 60_000, signal: ac2.signal }, () => {});
  ac2.abort();
  await forever; // resolves at once: no 60 s timer left behind
});
