import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttachEnd, Attachment } from '../engine/attach.js';
import type { ContainerView, Engine } from '../engine/engine.js';
import { Sessions } from './sessions.js';

/** An attachment that ends when END is called. */
function fakeAttachment(): { a: Attachment; end: () => void } {
  let end!: () => void;
  const done = new Promise<AttachEnd>((resolve) => (end = () => resolve({ kind: 'detached' })));
  const a: Attachment = { connected: Promise.resolve(), done, resize: () => undefined, detach: () => undefined, exitHandled: async () => undefined, close: () => undefined };
  return { a, end };
}

const engine = {} as Engine;
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('Sessions: the attachments of many containers, once ended, leave nothing behind (one entry per container was kept)', async () => {
  const s = new Sessions(engine);
  const ends: (() => void)[] = [];
  for (let i = 0; i < 200; i++) {
    const f = fakeAttachment();
    s.track(`c${i}`, f.a);
    ends.push(f.end);
  }
  assert.equal(s.held().live, 200);
  for (const end of ends) end();
  await flush();
  assert.deepEqual(s.held(), { pending: 0, live: 0, watchers: 0, exitListeners: 0, handledListeners: 0 });
});

test('Sessions: two attachments of one container; the entry goes with the last', async () => {
  const s = new Sessions(engine);
  const one = fakeAttachment();
  const two = fakeAttachment();
  s.track('c', one.a);
  s.track('c', two.a);
  one.end();
  await flush();
  assert.equal(s.held().live, 1);
  two.end();
  await flush();
  assert.equal(s.held().live, 0);
});

test('Sessions: attaches taken back before any start leave nothing behind', () => {
  const s = new Sessions(engine);
  for (let i = 0; i < 100; i++) {
    const undo = [s.addPending(`c${i}`, async () => undefined), s.addPending(`c${i}`, async () => undefined)];
    for (const u of undo) u();
  }
  assert.equal(s.held().pending, 0);
});

/** An engine whose one container C shows the states of VIEWS in turn, one per inspect, the last for good. */
function engineShowing(views: { Status: 'running' | 'dead' | 'exited'; ExitCode: number; FinishedAt?: string }[]): Engine {
  let i = 0;
  return {
    containers: { find: () => ({ id: 'c' }) },
    inspect: () => ({ state: views[Math.min(i++, views.length - 1)] }) as unknown as ContainerView,
  } as unknown as Engine;
}

test('Sessions.wait: a container seen dead while its monitor still writes the exit record gets its exit code, not 255 (api-docker-cli saw 255)', async () => {
  // (an exit after the call, for next-exit)
  const now = new Date(Date.now() + 60_000).toISOString();
  const s = new Sessions(engineShowing([{ Status: 'running', ExitCode: 0 }, { Status: 'dead', ExitCode: 255 }, { Status: 'dead', ExitCode: 255 }, { Status: 'exited', ExitCode: 7, FinishedAt: now }]), 10_000);
  assert.equal(await s.wait('c', 'not-running', new Promise(() => {})), 7);
  const s2 = new Sessions(engineShowing([{ Status: 'dead', ExitCode: 255 }, { Status: 'exited', ExitCode: 7, FinishedAt: now }]), 10_000);
  assert.equal(await s2.wait('c', 'next-exit', new Promise(() => {})), 7);
});

test('Sessions.wait: a container still dead after the grace is dead: 255', async () => {
  const s = new Sessions(engineShowing([{ Status: 'dead', ExitCode: 255 }]), 50);
  const t0 = Date.now();
  assert.equal(await s.wait('c', 'not-running', new Promise(() => {})), 255);
  assert.ok(Date.now() - t0 >= 50, 'not before the grace');
});
