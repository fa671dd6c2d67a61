import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { heldUntil } from './held-output.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

test('output is held until the release, then written in order, and passed straight on after', async () => {
  const out = sink();
  let release!: () => void;
  const held = heldUntil(out.stream, new Promise<void>((r) => (release = r)));
  await new Promise<void>((r) => held.write('one ', () => r()));
  await new Promise<void>((r) => held.write('two ', () => r()));
  assert.equal(out.text(), '', 'nothing before the release');
  out.stream.write('[explanation] ');
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(out.text(), '[explanation] one two ');
  await new Promise<void>((r) => held.write('three', () => r()));
  assert.equal(out.text(), '[explanation] one two three');
});

test('a release that fails lets the output through too', async () => {
  const out = sink();
  const held = heldUntil(out.stream, Promise.reject(new Error('no explanation')));
  held.write('kept');
  await new Promise((r) => setImmediate(r));
  assert.equal(out.text(), 'kept');
});
