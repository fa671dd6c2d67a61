/**
 * The API service's own bundle and its memory (build/moby-dick-service.cjs,
 * src/helper/release-memory.ts): started as users start it (the launcher),
 * idle it stays well under what it was with the CLI's bundles (61 MiB here
 * before; about 27-33 MiB now), and its routes answer on their first
 * request, a pull from the test's registry on 127.0.0.1 the first image
 * request of all. The store, the registry and the temp dir are the test's
 * own (test/helpers/api-service.ts), and removed after.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../helpers/api-service.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';

/**
 * A bound the idle service keeps on a loaded machine: RSS is not timing,
 * and what it holds idle (about 12 MiB of node's pages, 15 anonymous) is far
 * from it, while the service with the CLI's bundles and without the
 * release idled at 61 MiB.
 */
const IDLE_RSS_MIB = 45;

function call(sock: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** PID's VmRSS, RssAnon and RssFile in MiB */
function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile') };
}

describe('the API service: its own bundle, its memory', () => {
  let api: ApiService;
  let snap: Snapshot;

  before(async () => {
    snap = snapshot();
    api = await startApiService('api-svcmem');
  });

  after(async () => {
    await api?.stop();
    await assertNoLeaks(snap);
  });

  test(`idle, the service's RSS is under ${IDLE_RSS_MIB} MiB, and node's own pages are not all of its start's`, async () => {
    assert.equal((await call(api.sock, 'GET', '/_ping')).status, 200);
    const m = memory(api.pid);
    const text = `VmRSS ${m.rss.toFixed(1)} MiB (anonymous ${m.anon.toFixed(1)}, files ${m.file.toFixed(1)})`;
    assert.ok(m.rss < IDLE_RSS_MIB, text);
    // without the release the node binary alone held 39 MiB of file pages
    assert.ok(m.file < 30, text);
  });

  test('a pull is the first image request, and it works; the image is then listed', async () => {
    const [repo, tag] = [api.image.slice(0, api.image.lastIndexOf(':')), api.image.slice(api.image.lastIndexOf(':') + 1)];
    const pulled = await call(api.sock, 'POST', `/v1.41/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}`);
    assert.equal(pulled.status, 200, pulled.body);
    assert.doesNotMatch(pulled.body, /"error/, pulled.body);
    assert.match(pulled.body, /Downloaded newer image|Image is up to date/);
    const list = await call(api.sock, 'GET', '/v1.41/images/json');
    assert.equal(list.status, 200, list.body);
    const tags = (JSON.parse(list.body) as { RepoTags: string[] | null }[]).flatMap((i) => i.RepoTags ?? []);
    assert.ok(tags.includes(api.image), tags.join(' '));
    const inspect = await call(api.sock, 'GET', `/v1.41/images/${encodeURIComponent(api.image)}/json`);
    assert.equal(inspect.status, 200, inspect.body);
  });
});
