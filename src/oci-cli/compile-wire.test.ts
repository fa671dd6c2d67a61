import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  decodeRequest, encodeFrame, encodeRequest, FrameReader, SERVICE_COMMAND, SERVICE_DIR, SERVICE_EXEC, SERVICE_RUN, SERVICE_ENV_PREFIX, SERVICE_SOCKET, SERVICE_STAMP_ENV, SERVICE_START, splitFields,
} from './compile-wire.js';

/** native/launcher/fast.h's #defines */
function nativeDefines(): Map<string, string> {
  const text = readFileSync(new URL('../../../../native/launcher/fast.h', import.meta.url), 'utf8');
  return new Map([...text.matchAll(/^#define (FAST_\w+) "([^"]*)"$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('compile service wire', () => {
  test('the launcher uses the names TypeScript uses', () => {
    const c = nativeDefines();
    assert.equal(c.get('FAST_SERVICE_COMMAND'), SERVICE_COMMAND);
    assert.equal(c.get('FAST_SERVICE_EXEC'), SERVICE_EXEC);
    assert.equal(c.get('FAST_SERVICE_RUN'), SERVICE_RUN);
    assert.equal(c.get('FAST_SERVICE_START'), SERVICE_START);
    assert.equal(c.get('FAST_SERVICE_DIR'), SERVICE_DIR);
    assert.equal(c.get('FAST_SERVICE_SOCKET'), SERVICE_SOCKET);
    assert.equal(c.get('FAST_SERVICE_STAMP_ENV'), SERVICE_STAMP_ENV);
    assert.equal(c.get('FAST_SERVICE_ENV_PREFIX'), SERVICE_ENV_PREFIX);
  });

  test('a frame is its length (little-endian) and NUL-terminated fields', () => {
    assert.deepEqual(encodeFrame(['exit', '0']), Buffer.from([7, 0, 0, 0, ...Buffer.from('exit\x000\x00')]));
  });

  test('frames come out of a stream cut anywhere, bytes with NULs kept whole in a raw field', () => {
    const out = Buffer.from('a\0b\nc');
    const stream = Buffer.concat([encodeFrame(['out', '2', out]), encodeFrame(['wait'])]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      assert.equal(frames.length, 2, `cut at ${cut}`);
      assert.deepEqual(splitFields(frames[0]!, 2).map(String), ['out', '2', 'a\0b\nc']);
      assert.deepEqual(splitFields(frames[1]!).map(String), ['wait']);
    }
  });

  test('a frame too long, empty or without its final NUL is an error', () => {
    assert.throws(() => new FrameReader().push(Buffer.from([0, 0, 0, 0])), /frame of 0 bytes/);
    assert.throws(() => new FrameReader().push(Buffer.from([1, 0, 0x20, 0])), /frame of/);
    assert.throws(() => new FrameReader().push(Buffer.from([1, 0, 0, 0, 0x41])), /final NUL/);
  });

  test('a request round-trips; counts that do not fit are refused', () => {
    const r = { stamp: '1.2.3.4/-/', cwd: '/run/x', umask: 18, argv: ['--root', '/r', 'create', '--bundle', '/b', 'c1'], env: { MOBY_DICK_HELPER: '/x=y' } };
    const [body] = new FrameReader().push(encodeRequest(r));
    assert.deepEqual(decodeRequest(splitFields(body!)), r);
    const fields = (...f: string[]): Buffer[] => f.map((x) => Buffer.from(x));
    assert.throws(() => decodeRequest(fields('request', 's', '/', '18', '3', 'create', '0')), /bad count/);
    assert.throws(() => decodeRequest(fields('request', 's', '/', '18', '1', 'create', '1')), /environment count/);
    assert.throws(() => decodeRequest(fields('request', 's', '/', '18', '1', 'create', '1', 'NOEQUALS')), /without "="/);
    assert.throws(() => decodeRequest(fields('spawned', '1')), /too short/);
  });
});
