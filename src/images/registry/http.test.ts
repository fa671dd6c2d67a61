import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { request } from './http.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, base: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

describe('registry HTTP', () => {
  let storage: { server: Server; base: string };
  let registry: { server: Server; base: string };
  const seen: { url: string; method: string; auth: string | undefined; body: string }[] = [];

  before(async () => {
    // a blob store on another port: another origin
    storage = await serve((req, res, body) => {
      seen.push({ url: `storage${req.url}`, method: req.method!, auth: req.headers.authorization, body });
      res.end('blob bytes');
    });
    registry = await serve((req, res, body) => {
      seen.push({ url: req.url!, method: req.method!, auth: req.headers.authorization, body });
      if (req.url === '/to-storage') res.writeHead(307, { Location: `${storage.base}/b?sig=1` }).end();
      else if (req.url === '/same-host') res.writeHead(302, { Location: '/final' }).end();
      else if (req.url === '/see-other') res.writeHead(303, { Location: '/final' }).end();
      else if (req.url === '/loop') res.writeHead(302, { Location: '/loop' }).end();
      else res.writeHead(200, { 'X-Mdk-Test': 'yes' }).end(`final ${req.method} ${body}`);
    });
  });
  after(() => {
    for (const s of [storage.server, registry.server]) {
      s.closeAllConnections();
      s.close();
    }
  });

  test('a redirect to another host drops Authorization; one to the same host keeps it', async () => {
    seen.length = 0;
    const r = await request(`${registry.base}/to-storage`, { method: 'GET', headers: { Authorization: 'Bearer mdk-test' } });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'blob bytes');
    assert.equal(r.url, `${storage.base}/b?sig=1`);
    assert.deepEqual(seen.map((s) => [s.url, s.auth]), [['/to-storage', 'Bearer mdk-test'], ['storage/b?sig=1', undefined]]);
    seen.length = 0;
    const same = await request(`${registry.base}/same-host`, { method: 'GET', headers: { Authorization: 'Bearer mdk-test' } });
    assert.equal(same.header('x-mdk-test'), 'yes');
    same.discard();
    assert.deepEqual(seen.map((s) => s.auth), ['Bearer mdk-test', 'Bearer mdk-test']);
  });

  test('bodies: buffers and streams are sent; 307 resends, 303 becomes a GET', async () => {
    const put = await request(`${registry.base}/final`, { method: 'PUT', body: () => Readable.from([Buffer.from('streamed')]) });
    assert.equal(await put.text(), 'final PUT streamed');
    seen.length = 0;
    const post = await request(`${registry.base}/see-other`, { method: 'POST', body: Buffer.from('x') });
    assert.equal(await post.text(), 'final GET ');
    assert.deepEqual(seen.map((s) => s.method), ['POST', 'GET']);
  });

  test('redirects stop after five; refused connections reject with the address', async () => {
    const loop = await request(`${registry.base}/loop`, { method: 'GET' });
    assert.equal(loop.status, 302);
    loop.discard();
    const closed = await serve(() => {});
    const closedPort = Number(new URL(closed.base).port);
    closed.server.close();
    await assert.rejects(request(`http://127.0.0.1:${closedPort}/v2/`, { method: 'GET' }), new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}`));
  });
});
