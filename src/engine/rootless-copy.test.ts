import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { splitFirstLine } from './rootless-copy.js';

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

async function all(s: AsyncIterable<Buffer>): Promise<string> {
  const out: Buffer[] = [];
  for await (const b of s) out.push(b);
  return Buffer.concat(out).toString();
}

test('splitFirstLine: the description line, then the tar as it came, across chunk boundaries', async () => {
  const a = await splitFirstLine(chunks('{"dir":tr', 'ue}\nTAR', 'REST'));
  assert.equal(a.line, '{"dir":true}');
  assert.equal(await all(a.rest), 'TARREST');
  const b = await splitFirstLine(chunks('{}\n'));
  assert.equal(b.line, '{}');
  assert.equal(await all(b.rest), '');
});

test('splitFirstLine: a stream that ends before a line has none (the process failed); an endless first line is refused', async () => {
  const a = await splitFirstLine(chunks('partial'));
  assert.equal(a.line, undefined);
  assert.equal(await all(a.rest), '');
  await assert.rejects(splitFirstLine(chunks('x'.repeat(40), 'y'.repeat(40)), 64), (e: unknown) => e instanceof MobyDickError && /no description of the source/.test(e.message));
});
