/**
 * The parts of the tar format that the reader and the writer share: the
 * 512-byte block, the header's field offsets, numbers (octal, or GNU's
 * base-256 for values that do not fit) and the header checksum.
 * POSIX.1-2001 (pax) is the reference; GNU extensions as GNU tar writes them.
 */
export const BLOCK = 512;

/** byte offsets and lengths of the ustar header fields */
export const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/** the sum of the header's bytes (unsigned) with the checksum field read as spaces */
export function headerChecksum(block: Uint8Array): number {
  if ((block.byteOffset & 3) === 0) return wordChecksum(new Uint32Array(block.buffer, block.byteOffset, BLOCK >> 2), 0);
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let i = 156; i < BLOCK; i++) sum += block[i]!;
  return sum;
}

/**
 * headerChecksum of the block at WORDS[AT..AT+128) (4-byte aligned), four
 * bytes at a time: two 16-bit lanes each add two bytes a word, at most
 * 126 * 2 * 255 < 65536, so no lane overflows. Words 37 and 38 are the
 * checksum field (bytes 148..155). A parser checks two headers an entry (a
 * pax header and the entry's own); bytewise this was its largest cost.
 */
export function wordChecksum(words: Uint32Array, at: number): number {
  let lanes = 0;
  for (let i = at; i < at + 37; i++) {
    const w = words[i]!;
    lanes += (w & 0xff00ff) + ((w >>> 8) & 0xff00ff);
  }
  for (let i = at + 39; i < at + 128; i++) {
    const w = words[i]!;
    lanes += (w & 0xff00ff) + ((w >>> 8) & 0xff00ff);
  }
  return (lanes & 0xffff) + (lanes >>> 16) + 8 * 0x20;
}

/** the same with bytes read as signed, as some old tars computed it */
export function signedHeaderChecksum(block: Uint8Array): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = block[i]!;
    sum += b >= 0x80 ? b - 0x100 : b;
  }
  return sum;
}

/** true if all 512 bytes are zero (the end-of-archive marker) */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * A numeric field: octal digits ended by NUL or space (leading spaces
 * allowed), or GNU base-256 when the first byte has its high bit set.
 * Returns NaN for anything else.
 */
export function readNumber(block: Uint8Array, off: number, len: number): number {
  const first = block[off]!;
  if (first & 0x80) {
    // base-256, two's complement; 0xff starts a negative number
    const negative = first === 0xff;
    let v = negative ? -1 : first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + block[off + i]!;
    return Number.isSafeInteger(v) ? v : NaN;
  }
  let i = off;
  const end = off + len;
  while (i < end && block[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return NaN;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (block[i] !== 0 && block[i] !== 0x20) return NaN;
  return digits === 0 ? 0 : v;
}

/** the bytes of a string field up to its first NUL (a view, not a copy) */
export function readBytes(block: Buffer, off: number, len: number): Buffer {
  const field = block.subarray(off, off + len);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

/** writes VALUE as octal digits ended by NUL; false if it does not fit */
export function writeOctal(block: Buffer, off: number, len: number, value: number): boolean {
  const digits = Math.trunc(value).toString(8);
  if (value < 0 || digits.length > len - 1) return false;
  block.write(digits.padStart(len - 1, '0'), off, 'latin1');
  block[off + len - 1] = 0;
  return true;
}
