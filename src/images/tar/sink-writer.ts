/**
 * Tar entries handed straight to a TarSink (an unpacker) as the headers a
 * TarParser would make of TarWriter's bytes, with no archive in between:
 * for a copy whose producer and consumer are both in this process (a
 * build's COPY into its container's root), where writing and parsing the
 * tar cost more than the files themselves. Defaults as TarWriter's: mtime
 * 0, uid and gid 0, modes 0644 (files), 0755 (directories), 0777
 * (symlinks). AFTER_ENTRY is called after each entry (the unpacker's
 * flush, which a parser's caller makes after each input chunk).
 */
import { MobyDickError } from '../../errors.js';
import type { TarEntryType, TarHeader, TarSink } from './tar-reader.js';
import type { EntryWriter, TarWriterEntry } from './tar-writer.js';

const EMPTY = Buffer.alloc(0);
const SLASH = Buffer.from('/');
const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();

export class SinkWriter implements EntryWriter {
  private finished = false;

  constructor(
    private readonly sink: TarSink,
    private readonly afterEntry: () => void = () => {},
  ) {}

  async addFile(entry: TarWriterEntry & { size?: number }, data: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const size = Buffer.isBuffer(data) ? data.length : entry.size;
    if (size === undefined) throw new TypeError(`addFile ${String(entry.name)}: size is required with a stream`);
    this.sink.entry(this.header(entry, 'file', size, EMPTY, 0o644));
    let written = 0;
    if (Buffer.isBuffer(data)) {
      if (size) this.sink.data(data);
      written = size;
    } else {
      for await (const chunk of data) {
        if (written + chunk.length > size) {
          written += chunk.length;
          break;
        }
        written += chunk.length;
        if (chunk.length) this.sink.data(chunk);
      }
    }
    if (written !== size) {
      throw new MobyDickError('ARCHIVE', `tar entry ${String(entry.name)}: expected ${size} bytes of data, got ${written}`, { subject: String(entry.name) });
    }
    this.sink.end();
    this.afterEntry();
  }

  async addDirectory(entry: TarWriterEntry): Promise<void> {
    // named with a trailing slash, as TarWriter writes it
    const raw = Buffer.from(entry.name);
    const name = raw[raw.length - 1] === 0x2f ? raw : Buffer.concat([raw, SLASH]);
    this.plain(this.header({ ...entry, name }, 'directory', 0, EMPTY, 0o755));
  }

  async addSymlink(entry: TarWriterEntry, target: string | Buffer): Promise<void> {
    this.plain(this.header(entry, 'symlink', 0, Buffer.from(target), 0o777));
  }

  async addHardlink(entry: TarWriterEntry, target: string | Buffer): Promise<void> {
    this.plain(this.header(entry, 'hardlink', 0, Buffer.from(target), 0o644));
  }

  async addNode(entry: TarWriterEntry, kind: 'char' | 'block' | 'fifo', major = 0, minor = 0): Promise<void> {
    this.plain(this.header(entry, kind, 0, EMPTY, 0o644, major, minor));
  }

  async finish(): Promise<void> {
    this.finished = true;
  }

  private plain(h: TarHeader): void {
    this.sink.entry(h);
    this.sink.end();
    this.afterEntry();
  }

  private header(e: TarWriterEntry, type: TarEntryType, size: number, link: Buffer, defaultMode: number, devmajor = 0, devminor = 0): TarHeader {
    if (this.finished) throw new Error('SinkWriter: finish() was already called');
    const nameBytes = Buffer.from(e.name);
    const mtime = e.mtime ?? 0;
    const sec = Math.floor(mtime);
    return {
      name: nameBytes.toString('utf8'),
      nameBytes,
      type,
      size,
      mode: (e.mode ?? defaultMode) & 0o7777,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: { sec, nsec: Math.min(999_999_999, Math.round((mtime - sec) * 1e9)) },
      atime: undefined,
      linkname: link.toString('utf8'),
      linknameBytes: link,
      devmajor,
      devminor,
      xattrs: e.xattrs ?? NO_XATTRS,
      offset: 0,
    };
  }
}
