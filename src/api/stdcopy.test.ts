import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { FrameReader, frameHeader, frames, STDERR, STDOUT, streamWriter } from './stdcopy.js';

test("Docker's frame: stream, three zeros, big-endian length", () => {
  assert.deepEqual([...frameHeader(STDERR, 0x01020304)], [2, 0, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual([...frames(STDOUT, Buffer.from('hi'))], [1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
  assert.equal(frames(STDOUT, Buffer.alloc(0)).length, 0);
});

test('large chunks are split; a reader gets the frames back from any split', () => {
  const big = Buffer.alloc((1 << 20) + 5, 7);
  const wire = Buffer.concat([frames(STDOUT, big), frames(STDERR, Buffer.from('e'))]);
  const r = new FrameReader();
  const got = [...r.push(wire.subarray(0, 3)), ...r.push(wire.subarray(3, 1000)), ...r.push(wire.subarray(1000))];
  assert.deepEqual(got.map((f) => [f.stream, f.data.length]), [[1, 1 << 20], [1, 5], [2, 1]]);
});

test('a stream writer frames, or passes raw bytes with a TTY', async () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = streamWriter(out, STDERR, true);
  await new Promise<void>((r) => w.write(Buffer.from('x'), () => r()));
  const raw = streamWriter(out, STDOUT, false);
  await new Promise<void>((r) => raw.write('y', () => r()));
  assert.deepEqual(Buffer.concat(chunks), Buffer.from([2, 0, 0, 0, 0, 0, 0, 1, 0x78, 0x79]));
});
