import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttachEnd, Attachment } from '../engine/attach.js';
import type { Engine } from '../engine/engine.js';
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
