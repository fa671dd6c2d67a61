import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BLOCK, headerChecksum, signedHeaderChecksum, wordChecksum } from './tar-format.js';

/** the checksum as POSIX defines it, byte by byte, for comparison */
function reference(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

test('header checksums four bytes at a time equal the bytewise sum, aligned or not', () => {
  const blocks = [Buffer.alloc(BLOCK), Buffer.alloc(BLOCK, 0xff), randomBytes(BLOCK), randomBytes(BLOCK)];
  for (const block of blocks) {
    const want = reference(block);
    // aligned: a Uint32Array over the block's own memory
    const aligned = new Uint8Array(new ArrayBuffer(BLOCK + 8));
    aligned.set(block, 4);
    assert.equal(wordChecksum(new Uint32Array(aligned.buffer), 1), want);
    // headerChecksum takes the word path when aligned, the byte path when not
    assert.equal(headerChecksum(aligned.subarray(4, 4 + BLOCK)), want);
    assert.equal(headerChecksum(aligned.subarray(4, 4 + BLOCK).slice()), want);
    const odd = Buffer.alloc(BLOCK + 1);
    block.copy(odd, 1);
    assert.equal(headerChecksum(odd.subarray(1)), want);
  }
  // all 0xff: the largest sum, where lanes would overflow if they were 8 bits
  assert.equal(wordChecksum(new Uint32Array(Buffer.alloc(BLOCK, 0xff).buffer.slice(0, BLOCK)), 0), 504 * 255 + 8 * 0x20);
  assert.equal(signedHeaderChecksum(Buffer.alloc(BLOCK, 0xff)), -504 + 8 * 0x20);
});
