/**
 * A streaming tar reader: ustar, GNU long names and links (L/K), pax
 * extended (x) and global (g) headers, and extended attributes from
 * `SCHILY.xattr.*` (raw bytes, as GNU tar and Go write them) and
 * `LIBARCHIVE.xattr.*` (base64) kept as Buffers: file capabilities are
 * binary, and tar-stream's UTF-8 decoding of pax values corrupts them.
 *
 * Two faces:
 * - `TarParser`: push-based and synchronous. `write(chunk)` calls the sink's
 *   `entry`, `data` and `end` for what the chunk completes. File data is
 *   handed on as views (subarray) of the input chunks, never copied; the
 *   unpacker uses this face.
 * - `openTarReader(input)`: an async iterable of `{ header, body }` over an
 *   async iterable of Buffers (a file or decompressor stream). A body that is
 *   not read is skipped.
 *
 * Every header's checksum is verified. A corrupt or truncated archive throws
 * a MobyDickError('ARCHIVE') naming the entry and the byte offset.
 * Not supported (refused with a clear error): GNU sparse files and
 * multi-volume archives.
 */
import { MobyDickError } from '../../errors.js';
import { BLOCK, F, headerChecksum, isZeroBlock, readBytes, readNumber, signedHeaderChecksum, wordChecksum } from './tar-format.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarTime {
  /** seconds since the epoch (may be negative) */
  readonly sec: number;
  /** 0..999999999 */
  readonly nsec: number;
}

export interface TarHeader {
  /** the name decoded as UTF-8 (for messages); use nameBytes to act on it */
  readonly name: string;
  /** the name exactly as the archive has it */
  readonly nameBytes: Buffer;
  readonly type: TarEntryType;
  /** bytes of data that follow (0 for everything but files) */
  readonly size: number;
  /** permission bits including setuid, setgid and sticky (07777) */
  readonly mode: number;
  /** numeric owner (the archive's user and group names are not read: layers are unpacked by number, as Docker does) */
  readonly uid: number;
  readonly gid: number;
  readonly mtime: TarTime;
  /** from a pax `atime` record, when there is one */
  readonly atime: TarTime | undefined;
  /** hardlink or symlink target (UTF-8 for messages) */
  readonly linkname: string;
  readonly linknameBytes: Buffer;
  readonly devmajor: number;
  readonly devminor: number;
  /** extended attributes, values as raw bytes */
  readonly xattrs: ReadonlyMap<string, Buffer>;
  /** byte offset in the archive of the entry's first header (pax or GNU headers included) */
  readonly offset: number;
}

export interface TarSink {
  entry(header: TarHeader): void;
  /** a view into the input; valid as long as the input chunk is */
  data(chunk: Buffer): void;
  end(): void;
}

/** pax records that change a header; `undefined` in a global set means "removed" */
interface PaxRecords {
  path?: Buffer;
  linkpath?: Buffer;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: TarTime;
  atime?: TarTime;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
}

const NO_PAX: PaxRecords = Object.freeze({});
const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();
const EMPTY = Buffer.alloc(0);
const SLASH = Buffer.from('/');

const enum State {
  Header,
  Data,
  Meta,
  Padding,
  End,
}

/** refuse pax and GNU long-name headers bigger than this: they are held in memory */
const MAX_META = 16 * 1024 * 1024;

export class TarParser {
  private state = State.Header;
  private readonly headerBuf = Buffer.alloc(BLOCK);
  private readonly headerWords = new Uint32Array(this.headerBuf.buffer, this.headerBuf.byteOffset, BLOCK >> 2);
  private headerFill = 0;
  private remaining = 0;
  private padding = 0;
  /** bytes consumed so far */
  private pos = 0;
  private entryStart = -1;
  private current = '';
  private metaType = 0;
  private metaParts: Buffer[] = [];
  private metaSize = 0;
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;
  private pax: PaxRecords | undefined;
  private globalPax: PaxRecords = NO_PAX;

  constructor(private readonly sink: TarSink) {}

  /** true once the end-of-archive marker was read */
  get ended(): boolean {
    return this.state === State.End;
  }

  write(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    // the chunk's memory as 32-bit words, for checksums (when it is aligned)
    let words: Uint32Array | undefined;
    while (i < n) {
      switch (this.state) {
        case State.Header: {
          let block: Buffer;
          if (this.headerFill === 0 && n - i >= BLOCK) {
            block = chunk.subarray(i, i + BLOCK);
            const at = chunk.byteOffset + i;
            i += BLOCK;
            if ((at & 3) === 0) {
              words ??= new Uint32Array(chunk.buffer, 0, chunk.buffer.byteLength >> 2);
              this.header(block, words, at >> 2);
            } else this.header(block, undefined, 0);
            this.pos += BLOCK;
            break;
          } else {
            const take = Math.min(BLOCK - this.headerFill, n - i);
            chunk.copy(this.headerBuf, this.headerFill, i, i + take);
            this.headerFill += take;
            i += take;
            if (this.headerFill < BLOCK) continue;
            this.headerFill = 0;
            block = this.headerBuf;
          }
          this.header(block, this.headerWords, 0);
          this.pos += BLOCK;
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          this.sink.data(chunk.subarray(i, i + take));
          i += take;
          this.pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.endData();
          break;
        }
        case State.Meta: {
          const take = Math.min(this.remaining, n - i);
          // whole in this chunk (the common case): parsed in place before write
          // returns (the values kept are copied); else the parts are copied
          if (take === this.metaSize) this.metaParts.push(chunk.subarray(i, i + take));
          else this.metaParts.push(Buffer.from(chunk.subarray(i, i + take)));
          i += take;
          this.pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.endMeta();
          break;
        }
        case State.Padding: {
          const take = Math.min(this.padding, n - i);
          i += take;
          this.pos += take;
          this.padding -= take;
          if (this.padding === 0) this.state = State.Header;
          break;
        }
        case State.End:
          // what follows the end-of-archive marker (record padding) is ignored
          this.pos += n - i;
          return;
      }
    }
  }

  /** the input ended: throws if it ended inside an entry */
  finish(): void {
    if (this.state === State.End) return;
    if (((this.state === State.Header && this.headerFill === 0) || this.state === State.Padding) && this.entryStart < 0) {
      // no end-of-archive marker (nor the last file's padding), but nothing is
      // cut: GNU tar and Go accept this too (the docker CLI's `build -f -` sends it)
      this.state = State.End;
      return;
    }
    const where = this.state === State.Header ? 'a header' : `the data of ${JSON.stringify(this.current)}`;
    throw this.error(`the archive is truncated: it ends inside ${where}`);
  }

  private error(message: string): MobyDickError {
    return new MobyDickError('ARCHIVE', `${message} (at byte ${this.pos})`, {
      subject: this.current || undefined,
      hint: 'the archive is corrupt or incomplete; fetch it again',
    });
  }

  /** WORDS[AT..]: the block as 32-bit words, if it is aligned */
  private header(block: Buffer, words: Uint32Array | undefined, at: number): void {
    if (this.entryStart < 0) this.entryStart = this.pos;
    if (block[0] === 0 && isZeroBlock(block)) {
      if (this.metaType !== 0 || this.pax || this.longName || this.longLink) {
        throw this.error('the archive ends after an extended header without its entry');
      }
      this.state = State.End;
      return;
    }
    const stored = readNumber(block, F.chksum[0], F.chksum[1]);
    const sum = words ? wordChecksum(words, at) : headerChecksum(block);
    if (stored !== sum && stored !== signedHeaderChecksum(block)) {
      throw this.error(
        Number.isNaN(stored) ? 'not a tar header (no checksum)' : `header checksum mismatch (stored ${stored}, computed ${sum})`,
      );
    }
    const flag = block[F.typeflag[0]]!;
    const size = readNumber(block, F.size[0], F.size[1]);
    if (Number.isNaN(size) || size < 0) throw this.error('invalid size field');
    switch (flag) {
      case 0x4c: // L: GNU long name
      case 0x4b: // K: GNU long link name
      case 0x78: // x: pax extended header for the next entry
      case 0x67: // g: pax global header
        if (size > MAX_META) throw this.error(`extended header of ${size} bytes is too large`);
        this.metaType = flag;
        this.metaParts = [];
        this.metaSize = size;
        this.startData(size, State.Meta);
        return;
      case 0x53: // S
        throw this.error('GNU sparse files are not supported');
      case 0x4d: // M
        throw this.error('multi-volume archives are not supported');
      case 0x56: // V: volume label, not a file
        this.startData(size, State.Data, true);
        return;
    }
    const h = this.assemble(block, flag, size);
    this.current = h.name;
    this.entryStart = -1;
    this.sink.entry(h);
    this.startData(h.size, State.Data, false, flag === 0x44 ? size : 0);
  }

  /** LABEL: data is skipped without an entry; SKIP: bytes skipped after a header-only entry (GNU dumpdir) */
  private startData(size: number, state: State, label = false, skip = 0): void {
    const total = size + skip;
    this.padding = (BLOCK - (total % BLOCK)) % BLOCK;
    if (label || skip) {
      if (!label) this.sink.end();
      this.padding += total;
      this.state = this.padding ? State.Padding : State.Header;
      return;
    }
    this.remaining = size;
    this.state = state;
    if (size === 0) {
      if (state === State.Meta) this.endMeta();
      else this.endData();
    }
  }

  private endData(): void {
    this.sink.end();
    this.state = this.padding ? State.Padding : State.Header;
  }

  private endMeta(): void {
    const data = this.metaParts.length === 1 ? this.metaParts[0]! : Buffer.concat(this.metaParts, this.metaSize);
    this.metaParts = [];
    const type = this.metaType;
    this.metaType = 0;
    if (type === 0x4c || type === 0x4b) {
      const nul = data.indexOf(0);
      // copied: it is kept until the next header, and the input chunk it
      // lies in may be reused by then (unpackLayerFile reads into a ring)
      const value = Buffer.from(nul < 0 ? data : data.subarray(0, nul));
      if (type === 0x4c) this.longName = value;
      else this.longLink = value;
    } else if (type === 0x78) {
      this.pax = this.parsePax(data, this.pax ?? {});
    } else {
      this.globalPax = this.parsePax(data, { ...this.globalPax });
    }
    this.state = this.padding ? State.Padding : State.Header;
  }

  /** records "LEN KEY=VALUE\n", read in place: GNU tar writes one pax header an entry (mtime, atime, ctime) */
  private parsePax(data: Buffer, into: PaxRecords): PaxRecords {
    let i = 0;
    const n = data.length;
    while (i < n) {
      if (data[i] === 0) break; // some writers pad with NULs
      let len = 0;
      let sp = i;
      for (; sp < n && sp - i < 16; sp++) {
        const d = data[sp]! - 0x30;
        if (d < 0 || d > 9) break;
        len = len * 10 + d;
      }
      if (sp === i || sp >= n || data[sp] !== 0x20 || len <= sp - i || i + len > n || data[i + len - 1] !== 0x0a) {
        throw this.error('malformed pax extended header record');
      }
      const start = sp + 1;
      const end = i + len - 1;
      i += len;
      let eq = start;
      while (eq < end && data[eq] !== 0x3d) eq++;
      if (eq === end) throw this.error('malformed pax extended header record (no "=")');
      // the keys GNU tar writes for every entry, without making a string
      const k = data[start];
      if (eq - start === 5 && data[start + 1] === 0x74 && data[start + 2] === 0x69 && data[start + 3] === 0x6d && data[start + 4] === 0x65) {
        if (k === 0x63) continue; // ctime: not kept (the kernel sets it)
        if ((k === 0x6d || k === 0x61) && end > eq + 1) {
          const t = this.paxTime(k === 0x6d ? 'mtime' : 'atime', data, eq + 1, end);
          if (k === 0x6d) into.mtime = t;
          else into.atime = t;
          continue;
        }
      }
      this.paxRecord(into, data.toString('utf8', start, eq), Buffer.from(data.subarray(eq + 1, end)));
    }
    return into;
  }

  private paxRecord(into: PaxRecords, key: string, value: Buffer): void {
    const text = () => value.toString('utf8');
    const num = () => {
      const v = Number(value.toString('latin1'));
      if (!Number.isSafeInteger(v) || v < 0) throw this.error(`invalid pax ${key} value ${JSON.stringify(text())}`);
      return v;
    };
    // an empty value removes the keyword (from the global set too)
    const unset = value.length === 0;
    switch (key) {
      case 'path':
        into.path = unset ? undefined : value;
        return;
      case 'linkpath':
        into.linkpath = unset ? undefined : value;
        return;
      case 'size':
        into.size = unset ? undefined : num();
        return;
      case 'uid':
        into.uid = unset ? undefined : num();
        return;
      case 'gid':
        into.gid = unset ? undefined : num();
        return;
      case 'mtime':
        into.mtime = unset ? undefined : this.paxTime(key, value, 0, value.length);
        return;
      case 'atime':
        into.atime = unset ? undefined : this.paxTime(key, value, 0, value.length);
        return;
      case 'SCHILY.devmajor':
        into.devmajor = unset ? undefined : num();
        return;
      case 'SCHILY.devminor':
        into.devminor = unset ? undefined : num();
        return;
    }
    if (key.startsWith('SCHILY.xattr.')) {
      (into.xattrs ??= new Map()).set(key.slice(13), value);
    } else if (key.startsWith('LIBARCHIVE.xattr.')) {
      // libarchive: the name is %-encoded, the value base64
      const name = decodeURIComponent(key.slice(17));
      (into.xattrs ??= new Map()).set(name, Buffer.from(value.toString('latin1'), 'base64'));
    } else if (key.startsWith('GNU.sparse.')) {
      throw this.error('GNU sparse files are not supported');
    }
    // other keywords (ctime, uname, gname, comment, hdrcharset, charset, ...) change nothing we keep
  }

  /** "[-]SECONDS[.FRACTION]" without a regular expression: GNU tar writes one per entry */
  private paxTime(key: string, value: Buffer, start: number, end: number): TarTime {
    let i = start;
    const negative = value[i] === 0x2d;
    if (negative) i++;
    let sec = 0;
    let digits = 0;
    for (; i < end && value[i] !== 0x2e; i++, digits++) {
      const d = value[i]! - 0x30;
      if (d < 0 || d > 9) digits = -Infinity;
      sec = sec * 10 + d;
    }
    let nsec = 0;
    let scale = 100000000;
    for (i++; i < end; i++, scale /= 10) {
      const d = value[i]! - 0x30;
      if (d < 0 || d > 9) digits = -Infinity;
      if (scale >= 1) nsec += d * scale;
    }
    if (!(digits > 0) || !Number.isSafeInteger(sec)) {
      throw this.error(`invalid pax ${key} value ${JSON.stringify(value.toString('utf8', start, end))}`);
    }
    nsec = Math.round(nsec);
    if (negative) {
      sec = -sec;
      if (nsec) {
        sec -= 1;
        nsec = 1e9 - nsec;
      }
    }
    return { sec, nsec };
  }

  private assemble(block: Buffer, flag: number, size: number): TarHeader {
    const g = this.globalPax;
    const x = this.pax ?? NO_PAX;
    this.pax = undefined;
    const plain = x === NO_PAX && g === NO_PAX;
    let nameBytes: Buffer;
    const paxPath = plain ? undefined : 'path' in x ? x.path : g.path;
    if (paxPath) nameBytes = paxPath;
    else if (this.longName) nameBytes = this.longName;
    else {
      // ustar\0: a POSIX header, whose prefix field extends the name
      if (block[257] === 0x75 && block[262] === 0 && block[345] !== 0) {
        nameBytes = Buffer.concat([readBytes(block, F.prefix[0], F.prefix[1]), SLASH, readBytes(block, F.name[0], F.name[1])]);
      } else nameBytes = copyField(block, F.name[0], F.name[1]); // the header block may be reused
    }
    const linkpath = plain ? undefined : 'linkpath' in x ? x.linkpath : g.linkpath;
    const linknameBytes = linkpath ?? this.longLink ?? copyField(block, F.linkname[0], F.linkname[1]);
    this.longName = undefined;
    this.longLink = undefined;

    let type: TarEntryType;
    switch (flag) {
      case 0x31:
        type = 'hardlink';
        break;
      case 0x32:
        type = 'symlink';
        break;
      case 0x33:
        type = 'char';
        break;
      case 0x34:
        type = 'block';
        break;
      case 0x35:
      case 0x44: // GNU dumpdir: a directory with a listing as data
        type = 'directory';
        break;
      case 0x36:
        type = 'fifo';
        break;
      default:
        // 0, '0', '7' and (as POSIX says) any unknown type are regular files;
        // old tars mark directories by a trailing slash only
        type = nameBytes[nameBytes.length - 1] === 0x2f && flag !== 0x30 && flag !== 0x37 ? 'directory' : 'file';
    }
    const dev = type === 'char' || type === 'block';
    let xattrs: ReadonlyMap<string, Buffer> = NO_XATTRS;
    if (!plain && (g.xattrs || x.xattrs)) {
      const m = new Map<string, Buffer>();
      for (const [k, v] of g.xattrs ?? []) m.set(k, v);
      for (const [k, v] of x.xattrs ?? []) m.set(k, v);
      xattrs = m;
    }
    const p = g === NO_PAX ? x : x === NO_PAX ? g : { ...g, ...x };
    const headerSize = type === 'file' ? (p.size ?? size) : 0;
    return {
      name: nameBytes.toString('utf8'),
      nameBytes,
      type,
      size: headerSize,
      mode: this.field(block, F.mode, 'mode') & 0o7777,
      uid: p.uid ?? this.field(block, F.uid, 'uid'),
      gid: p.gid ?? this.field(block, F.gid, 'gid'),
      mtime: p.mtime ?? { sec: this.field(block, F.mtime, 'mtime'), nsec: 0 },
      atime: p.atime,
      linkname: linknameBytes.length ? linknameBytes.toString('utf8') : '',
      linknameBytes,
      devmajor: p.devmajor ?? (dev ? this.field(block, F.devmajor, 'devmajor') : 0),
      devminor: p.devminor ?? (dev ? this.field(block, F.devminor, 'devminor') : 0),
      xattrs,
      offset: this.entryStart,
    };
  }

  private field(block: Buffer, f: readonly [number, number], what: string): number {
    const v = readNumber(block, f[0], f[1]);
    if (Number.isNaN(v)) throw this.error(`invalid ${what} field`);
    return v;
  }
}

/** where the string field at OFF (LEN bytes) ends: its first NUL */
function fieldEnd(block: Buffer, off: number, len: number): number {
  const end = off + len;
  let i = off;
  while (i < end && block[i] !== 0) i++;
  return i;
}

/** a copy of the string field at OFF (the header block may be reused) */
function copyField(block: Buffer, off: number, len: number): Buffer {
  const end = fieldEnd(block, off, len);
  if (end === off) return EMPTY;
  const out = Buffer.allocUnsafe(end - off);
  block.copy(out, 0, off, end);
  return out;
}

export interface TarEntry {
  readonly header: TarHeader;
  /** the entry's data; read it before asking for the next entry, or it is skipped */
  readonly body: AsyncIterable<Buffer>;
}

type Event = { kind: 'entry'; header: TarHeader } | { kind: 'data'; chunk: Buffer } | { kind: 'end' };

/** reads a tar archive from INPUT entry by entry */
export async function* openTarReader(input: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  let queue: Event[] = [];
  const parser = new TarParser({
    entry: (header) => queue.push({ kind: 'entry', header }),
    data: (chunk) => queue.push({ kind: 'data', chunk }),
    end: () => queue.push({ kind: 'end' }),
  });
  const events = (async function* (): AsyncGenerator<Event> {
    for await (const chunk of input) {
      parser.write(chunk);
      const batch = queue;
      queue = [];
      yield* batch;
      if (parser.ended) break;
    }
    parser.finish();
    yield* queue;
  })();
  const next = async (): Promise<Event | undefined> => {
    const r = await events.next();
    return r.done ? undefined : r.value;
  };
  for (let ev = await next(); ev; ev = await next()) {
    if (ev.kind !== 'entry') continue; // the rest of a body nobody read
    let done = false;
    const body = {
      async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
        while (!done) {
          const e = await next();
          if (!e || e.kind === 'end') done = true;
          else if (e.kind === 'data') yield e.chunk;
        }
      },
    };
    yield { header: ev.header, body };
    while (!done) {
      const e = await next();
      if (!e || e.kind === 'end') done = true;
    }
  }
}

/** the whole body of a (small) entry, e.g. manifest.json */
export async function readBody(entry: TarEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of entry.body) parts.push(c);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
