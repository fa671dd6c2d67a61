import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassicBuildStream, shortId } from './build-stream.js';
import type { JsonMessage } from './types-images.js';

const IMG = `sha256:${'a'.repeat(12)}${'0'.repeat(52)}`;
const IMG2 = `sha256:${'b'.repeat(12)}${'0'.repeat(52)}`;
const CID = `${'c'.repeat(12)}${'1'.repeat(52)}`;

test('shortId: 12 hex digits without the algorithm', () => {
  assert.equal(shortId(IMG), 'aaaaaaaaaaaa');
  assert.equal(shortId(CID), 'cccccccccccc');
});

test('steps as the classic builder writes them: Step k/n, Running in, the output, Removing intermediate container, the image', () => {
  const m: JsonMessage[] = [];
  const s = new ClassicBuildStream((x) => m.push(x));
  s.done(s.begin('[internal] load build definition from Dockerfile'));
  s.planned(3);
  const from = s.begin('[stage-0 1/3] FROM busybox', 'FROM busybox');
  s.done(from, IMG);
  const run = s.begin('[stage-0 2/3] RUN echo hi', 'RUN echo hi');
  s.container(run, CID);
  s.output(run, Buffer.from('h'));
  // a character split between two chunks comes out whole
  s.output(run, Buffer.from([0x69, 0x20, 0xc3]));
  s.output(run, Buffer.from([0xa9, 0x0a]));
  s.done(run, IMG2);
  const cmd = s.begin('[stage-0 3/3] CMD ["x"]', 'CMD ["x"]');
  s.cached(cmd, IMG);
  s.warn('one or more build-args [X] were not consumed');
  s.done(s.begin('exporting to image'));
  assert.deepEqual(m.map((x) => x.stream).join(''), [
    'Step 1/3 : FROM busybox\n',
    ' ---> aaaaaaaaaaaa\n',
    'Step 2/3 : RUN echo hi\n',
    ' ---> Running in cccccccccccc\n',
    'hi é\n',
    'Removing intermediate container cccccccccccc\n',
    ' ---> bbbbbbbbbbbb\n',
    'Step 3/3 : CMD ["x"]\n',
    ' ---> Using cache\n',
    ' ---> aaaaaaaaaaaa\n',
    '[Warning] one or more build-args [X] were not consumed\n',
  ].join(''));
  assert.ok(m.every((x) => Object.keys(x).join() === 'stream' && x.stream !== ''));
});

test('a failing step: its output, its container removed, no image line', () => {
  const m: JsonMessage[] = [];
  const s = new ClassicBuildStream((x) => m.push(x));
  s.planned(1);
  const run = s.begin('[stage-0 2/2] RUN false', 'RUN false');
  s.container(run, CID);
  s.output(run, 'oops');
  s.error(run, 'Dockerfile:2: RUN false: exit code: 1');
  assert.equal(m.map((x) => x.stream).join(''), 'Step 1/1 : RUN false\n ---> Running in cccccccccccc\noopsRemoving intermediate container cccccccccccc\n');
});
