import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { JsonStream } from './json-stream.js';
import type { Reply, RequestContext } from './reply.js';

function fakeCtx(): { ctx: RequestContext; lines: () => unknown[]; status: () => number | undefined } {
  const body = new PassThrough();
  let text = '';
  body.on('data', (d: Buffer) => (text += d.toString()));
  let status: number | undefined;
  const reply = {
    get started() {
      return status !== undefined;
    },
    stream(s: number) {
      status = s;
      return body;
    },
  } as unknown as Reply;
  const ctx = { reply } as RequestContext;
  return { ctx, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown), status: () => status };
}

test("pull progress as Docker's JSON lines: the Pulling-from line split into id and status, layers with progressDetail", async () => {
  const f = fakeCtx();
  const s = new JsonStream(f.ctx);
  const p = s.progress();
  p.line('latest: Pulling from mdk-test/busybox');
  assert.equal(f.status(), undefined, 'nothing is sent for the first line alone');
  p.layer('abc', 'Pulling fs layer');
  p.layer('abc', 'Downloading', 10, 100);
  p.layer('abc', 'Downloading', 20, 100); // within PROGRESS_MS: dropped
  p.layer('abc', 'Downloading', 100, 100); // the last one always
  p.line('Digest: sha256:x');
  s.end();
  await new Promise((r) => setImmediate(r));
  assert.equal(f.status(), 200);
  assert.deepEqual(f.lines(), [
    { status: 'Pulling from mdk-test/busybox', id: 'latest' },
    { status: 'Pulling fs layer', progressDetail: {}, id: 'abc' },
    { status: 'Downloading', progressDetail: { current: 10, total: 100 }, id: 'abc' },
    { status: 'Downloading', progressDetail: { current: 100, total: 100 }, id: 'abc' },
    { status: 'Digest: sha256:x' },
  ]);
});

test('a failure before anything was sent is thrown (an ordinary error answer); after, it is an errorDetail line', async () => {
  const early = fakeCtx();
  const s1 = new JsonStream(early.ctx);
  s1.progress().line('latest: Pulling from x');
  const e = new MobyDickError('REGISTRY', 'manifest unknown');
  assert.throws(() => s1.end(e), (x: unknown) => x === e);
  assert.equal(early.status(), undefined);

  const late = fakeCtx();
  const s2 = new JsonStream(late.ctx);
  s2.progress().layer('abc', 'Pulling fs layer');
  s2.end(new MobyDickError('REGISTRY', 'layer abc: connection reset'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(late.lines().at(-1), { errorDetail: { message: 'layer abc: connection reset' }, error: 'layer abc: connection reset' });
});
