/** GET /events over a real store in a temp dir: past events with filters, new ones followed, and a client that goes away stops the poll. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Engine } from '../engine/engine.js';
import { ImageStore } from '../images/store/image-store.js';
import { eventRoutes } from './events.js';
import { Router } from './router.js';
import { createApiServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'mdk-test-api-events-'));
const sock = join(dir, 's.sock');
const http = process.getBuiltinModule('node:http');
const store = new ImageStore({ root: join(dir, 'store'), unpacker: { unpack: () => Promise.reject(new Error('no unpacker')) } as never });
const engine = new Engine(store);
const server = createApiServer({
  serverVersion: 'test',
  router: new Router([...eventRoutes(engine, 10), { method: 'GET', path: '/_ping', handler: (ctx) => ctx.reply.json(200, 'OK') }]),
});

before(() => new Promise<void>((resolve) => server.listen(sock, resolve)));
after(() => {
  server.close();
  server.closeAllConnections();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, onData?: (chunk: string, req: ReturnType<typeof http.get>) => void): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: sock, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
        onData?.(body, req);
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('close', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

test('past events between since and until, filtered, one JSON object a line', async () => {
  const t0 = Date.now() / 1000 - 1;
  store.events.record('container', 'create', 'c1', { name: 'mdk-test-a', image: 'busybox' });
  store.events.record('volume', 'create', 'mdk-test-v', { driver: 'local' });
  store.events.record('container', 'die', 'c1', { name: 'mdk-test-a', image: 'busybox', exitCode: '3' });
  const until = Date.now() / 1000 + 0.05;
  const all = await get(`/events?since=${t0}&until=${until}`);
  assert.equal(all.status, 200);
  const lines = all.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => `${l.Type} ${l.Action}`), ['container create', 'volume create', 'container die']);
  assert.equal(lines[2]!.status, 'die');
  assert.equal(lines[2]!.from, 'busybox');
  assert.deepEqual((lines[2]!.Actor as { Attributes: unknown }).Attributes, { name: 'mdk-test-a', image: 'busybox', exitCode: '3' });
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['die'] }));
  const some = await get(`/events?since=${t0}&until=${until}&filters=${filters}`);
  assert.deepEqual(some.body.trim().split('\n').map((l) => (JSON.parse(l) as { Action: string }).Action), ['die']);
  const bad = await get(`/events?filters=${encodeURIComponent('{"colour":["red"]}')}`);
  assert.equal(bad.status, 400);
});

test('follows new events; a client that goes away ends the stream and its timer, and the service serves on', async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const seen = get('/events', (body, req) => {
    if (body.includes('"start"')) req.destroy();
  });
  await new Promise((r) => setTimeout(r, 50));
  store.events.record('container', 'start', 'c2', { name: 'mdk-test-b', image: 'busybox' });
  const r = await seen;
  assert.match(r.body, /"Action":"start"/);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(timers() <= before, 'no poll timer left');
  assert.equal((await get('/_ping')).status, 200);
});
