import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import * as attach from './attach.js';
import { closeStdinFrame, DetachKeys, exitHandledFrame, FrameDecoder, handlesExitFrame, parseDetachKeys, resizeFrame, stdinFrames } from './attach.js';

describe('attach frames', () => {
  test('the frame kinds and their codes are the same here and in native/src/attach.c (and mdk.h), both ways', () => {
    const read = (file: string): string => readFileSync(new URL(`../../../../native/src/${file}`, import.meta.url), 'utf8');
    const native = new Map<string, number>();
    for (const e of (read('attach.c') + read('mdk.h')).matchAll(/enum \{([^}]*)\}/g)) {
      for (const m of e[1]!.matchAll(/\b((?:IN|OUT)_[A-Z_]+) = (\d+)/g)) native.set(m[1]!, Number(m[2]));
    }
    const max = /#define MAX_STDIN_FRAME (\d+)/.exec(read('attach.c'));
    if (max) native.set('MAX_STDIN_FRAME', Number(max[1]));
    const here = new Map(Object.entries(attach as Record<string, unknown>).filter((e): e is [string, number] => /^(IN|OUT|MAX_STDIN)_[A-Z_]+$/.test(e[0]) && typeof e[1] === 'number'));
    assert.deepEqual([...here.keys()].filter((n) => !native.has(n)), [], 'frame kinds with no code in attach.c or mdk.h');
    assert.deepEqual([...native.keys()].filter((n) => !here.has(n)), [], 'frame kinds of attach.c and mdk.h with none in attach.ts');
    for (const [name, code] of here) assert.equal(code, native.get(name), name);
  });

  test('stdin, window size and close, as native/src/attach.c reads them', () => {
    assert.deepEqual([...stdinFrames(Buffer.from('hi'))], [0, 0, 0, 0, 2, 0x68, 0x69]);
    assert.deepEqual([...resizeFrame(24, 300)], [1, 0, 0, 0, 4, 0, 24, 1, 44]);
    assert.deepEqual([...closeStdinFrame()], [2, 0, 0, 0, 0]);
  });

  test('"I handle the exit" and "exit handled", as native/src/attach.c reads them', () => {
    assert.deepEqual([...handlesExitFrame()], [3, 0, 0, 0, 0]);
    assert.deepEqual([...exitHandledFrame()], [4, 0, 0, 0, 0]);
  });

  test('stdin longer than a frame takes several', () => {
    const data = Buffer.alloc(65536 * 2 + 10, 7);
    const frames = stdinFrames(data);
    assert.equal(frames.length, data.length + 3 * 5);
    assert.equal(frames.readUInt32BE(1), 65536);
    assert.equal(frames.readUInt32BE(5 + 65536 + 1), 65536);
    assert.equal(frames.readUInt32BE(2 * (5 + 65536) + 1), 10);
    assert.deepEqual(stdinFrames(Buffer.alloc(0)), Buffer.alloc(0));
  });

  test('output frames are decoded across chunk borders', () => {
    const wire = Buffer.from([1, 0, 0, 0, 3, 0x61, 0x62, 0x63, 2, 0, 0, 0, 0, 3, 0, 0, 0, 2, 0x7b, 0x7d]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.stream, f.data.toString()]),
        [[1, 'abc'], [2, ''], [3, '{}']],
        `cut at ${cut}`,
      );
    }
  });
});

describe('detach keys', () => {
  test("Docker's key names", () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 27, 28, 29, 30, 31]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-A')], [97, 1]);
    for (const bad of ['ctrl-', 'ctrl-1', 'ab', '', 'ctrl-pp']) assert.throws(() => parseDetachKeys(bad), MobyDickError, bad);
  });

  test('the sequence detaches and never reaches the container', () => {
    const k = new DetachKeys(Buffer.from([16, 17]));
    assert.deepEqual(k.push(Buffer.from('ab\x10\x11cd')), { forward: Buffer.from('ab'), detach: true });
  });

  test('a held prefix goes on when the next key does not continue it', () => {
    const k = new DetachKeys(Buffer.from([16, 17]));
    assert.deepEqual(k.push(Buffer.from('a\x10')), { forward: Buffer.from('a'), detach: false });
    assert.deepEqual(k.push(Buffer.from('b')), { forward: Buffer.from('\x10b'), detach: false });
    // across chunks, and a prefix that starts again
    assert.deepEqual(k.push(Buffer.from('\x10')), { forward: Buffer.alloc(0), detach: false });
    assert.deepEqual(k.push(Buffer.from('\x10')), { forward: Buffer.from('\x10'), detach: false });
    assert.deepEqual(k.push(Buffer.from('\x11')), { forward: Buffer.alloc(0), detach: true });
  });

  test('no keys: everything goes on', () => {
    const k = new DetachKeys(Buffer.alloc(0));
    assert.deepEqual(k.push(Buffer.from('\x10\x11')), { forward: Buffer.from('\x10\x11'), detach: false });
  });
});
