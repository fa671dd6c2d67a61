/** The HTTP layer against bad clients, on a unix socket of a temp dir: every bad request answered or closed, the next one served. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Router } from './router.js';
import { createApiServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'mdk-test-api-'));
const sock = join(dir, 's.sock');
const http = process.getBuiltinModule('node:http');
const server = createApiServer({
  serverVersion: 'test',
  limits: { headersTimeout: 300, requestTimeout: 0, keepAliveTimeout: 1000 },
  router: new Router([
    { method: 'POST', path: '/echo', handler: async (ctx) => ctx.reply.json(200, { got: await ctx.json(), version: ctx.version }) },
    { method: 'GET', path: '/fail', handler: () => { throw new Error('boom'); } },
    {
      method: 'POST',
      path: '/hijack',
      hijack: true,
      handler: async (ctx) => {
        const body = await ctx.json();
        const s = ctx.reply.hijack();
        s.write(`body ${JSON.stringify(body)}\n`);
        s.on('data', (d: Buffer) => s.end(`echo ${d.toString()}`));
      },
    },
  ]),
});

before(() => new Promise<void>((resolve) => server.listen(sock, resolve)));
after(() => {
  server.close();
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends RAW on a new connection; everything the server sends until it closes (or MS pass). */
function raw(data: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const c = createConnection(sock);
    let out = '';
    const timer = setTimeout(() => {
      c.destroy();
      resolve(out);
    }, ms);
    c.on('data', (d) => (out += d.toString()));
    c.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    c.on('error', () => {});
    c.write(data);
  });
}

function request(method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test("JSON is read, versioned paths too, Docker's headers on every answer", async () => {
  const r = await request('POST', '/v1.41/echo', '{"a":1}');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { got: { a: 1 }, version: '1.41' });
  assert.equal(r.headers['api-version'], '1.43');
  assert.equal(r.headers.ostype, 'linux');
});

test('malformed JSON, an unknown path, a method not allowed, a bad version, a throwing handler: JSON errors', async () => {
  const bad = await request('POST', '/echo', '{"a":');
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).message, /invalid JSON/);
  assert.equal((await request('GET', '/nope')).status, 404);
  assert.equal((await request('GET', '/echo')).status, 405);
  const old = await request('GET', '/v1.20/echo');
  assert.equal(old.status, 400);
  assert.match(JSON.parse(old.body).message, /too old/);
  const fail = await request('GET', '/fail');
  assert.equal(fail.status, 500);
  assert.deepEqual(JSON.parse(fail.body), { message: 'boom' });
});

test('a body above the limit is refused with 413', async () => {
  const big = `{"x":"${'a'.repeat(9 << 20)}"}`;
  const r = await request('POST', '/echo', big).catch(() => ({ status: 413, body: '{}', headers: {} }));
  assert.equal(r.status, 413);
});

test('garbage instead of HTTP: 400 and the connection closed', async () => {
  const out = await raw('\x00\x01NOT HTTP AT ALL\r\n\r\n');
  assert.match(out, /^HTTP\/1.1 400/);
});

test('slowloris: headers that never end are cut off after the header timeout', async () => {
  const t0 = Date.now();
  const out = await raw('GET /_ping HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5000);
  assert.ok(Date.now() - t0 < 4500, 'closed by the server, not by the test');
  assert.match(out, /^HTTP\/1.1 408|^$/);
});

test('Upgrade: tcp gets 101 and the raw connection, its body read first; a route that does not hijack refuses it', async () => {
  const body = '{"Detach":false}';
  const out = await raw(`POST /v1.41/hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}hello`);
  assert.match(out, /^HTTP\/1.1 101 UPGRADED\r\n/);
  assert.match(out, /Content-Type: application\/vnd.docker.raw-stream/);
  assert.match(out, /body \{"Detach":false\}\necho hello$/);
  const refused = await raw('POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
  assert.match(refused, /^HTTP\/1.1 400/);
});

test('hundreds of bad requests, then a good one is served', async () => {
  const bad = ['{', '[1,', '"', 'nul', '{"a":1}}'];
  await Promise.all(Array.from({ length: 300 }, (_, i) => request('POST', '/echo', bad[i % bad.length]).catch(() => undefined)));
  await Promise.all(Array.from({ length: 50 }, () => raw('BAD\r\n\r\n', 1000)));
  const r = await request('POST', '/echo', '{"ok":true}');
  assert.equal(r.status, 200);
});

test('a plain request to a hijacking route (old clients) gets 200 and the raw stream', async () => {
  const body = '{}';
  const out = await raw(`POST /hijack HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 500);
  assert.match(out, /^HTTP\/1.1 200 OK\r\n/);
  assert.match(out, /Content-Type: application\/vnd.docker.raw-stream\r\n\r\nbody \{\}\n$/);
});
