/**
 * Hand-made tar archives for the tests of the tar reader and the layer
 * unpacker: every header field can be set (or broken), independently of
 * src/images/tar/tar-writer.ts, so that the reader is not tested only against
 * its own writer.
 */
export interface CraftEntry {
  name: string | Buffer;
  /** typeflag character: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'L', 'K', 'x', 'g', ... */
  type?: string;
  data?: Buffer | string;
  /** the size field, when it should differ from data's length */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  mtime?: number;
  linkname?: string | Buffer;
  devmajor?: number;
  devminor?: number;
  /** 'posix' (ustar\0 00, with prefix), 'gnu' (ustar  \0), 'v7' (none) */
  magic?: 'posix' | 'gnu' | 'v7';
  prefix?: string;
  /** pax records for an 'x' header in front of this entry */
  pax?: Record<string, string | Buffer>;
  /** fields written in GNU base-256 */
  base256?: ('size' | 'uid' | 'gid' | 'mtime')[];
  /** add this to the correct checksum */
  checksumDelta?: number;
}

const b = (v: string | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));

function octal(block: Buffer, off: number, len: number, v: number): void {
  block.write(v.toString(8).padStart(len - 1, '0'), off, 'latin1');
}

function base256(block: Buffer, off: number, len: number, v: number): void {
  block[off] = 0x80;
  for (let i = len - 1; i > 0; i--) {
    block[off + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

export function craftHeader(e: CraftEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  b(e.name).copy(h, 0, 0, 100);
  const num = (f: 'size' | 'uid' | 'gid' | 'mtime', off: number, len: number, v: number) =>
    e.base256?.includes(f) ? base256(h, off, len, v) : octal(h, off, len, v);
  octal(h, 100, 8, e.mode ?? 0o644);
  num('uid', 108, 8, e.uid ?? 0);
  num('gid', 116, 8, e.gid ?? 0);
  num('size', 124, 12, e.size ?? size);
  num('mtime', 136, 12, e.mtime ?? 1700000000);
  h.write(e.type ?? '0', 156, 'latin1');
  if (e.linkname !== undefined) b(e.linkname).copy(h, 157, 0, 100);
  const magic = e.magic ?? 'posix';
  if (magic === 'posix') h.write('ustar\u000000', 257, 'latin1');
  if (magic === 'gnu') h.write('ustar  \u0000', 257, 'latin1');
  if (magic !== 'v7') {
    h.write(e.uname ?? 'root', 265, 32, 'utf8');
    h.write(e.gname ?? 'root', 297, 32, 'utf8');
    octal(h, 329, 8, e.devmajor ?? 0);
    octal(h, 337, 8, e.devminor ?? 0);
  }
  if (e.prefix) h.write(e.prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  sum += e.checksumDelta ?? 0;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return h;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest ? Buffer.concat([data, Buffer.alloc(512 - rest)]) : data;
}

export function paxBody(records: Record<string, string | Buffer>): Buffer {
  return Buffer.concat(
    Object.entries(records).map(([k, v]) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), b(v), Buffer.from('\n')]);
      let len = body.length + String(body.length).length;
      if (String(len).length !== String(body.length).length) len = body.length + String(len).length;
      return Buffer.concat([Buffer.from(String(len)), body]);
    }),
  );
}

export function craftEntry(e: CraftEntry): Buffer {
  const parts: Buffer[] = [];
  if (e.pax) {
    const body = paxBody(e.pax);
    parts.push(craftHeader({ name: 'PaxHeaders/x', type: 'x' }, body.length), pad(body));
  }
  const data = e.data === undefined ? Buffer.alloc(0) : b(e.data);
  parts.push(craftHeader(e, data.length), pad(data));
  return Buffer.concat(parts);
}

/** ENTRIES as one archive, with the two zero blocks unless END is false */
export function craftTar(entries: CraftEntry[], end = true): Buffer {
  return Buffer.concat([...entries.map(craftEntry), Buffer.alloc(end ? 1024 : 0)]);
}

/** BUF as a stream of chunks of SIZE bytes */
export async function* chunked(buf: Buffer, size = 65536): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
