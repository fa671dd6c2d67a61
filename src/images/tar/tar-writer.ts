/**
 * A small streaming tar writer for `save` (docker-archive and OCI layout
 * tarballs), `export` and `cp`: regular files, directories, symlinks, hard
 * links, device nodes and FIFOs, in ustar headers with pax extended headers
 * where a name, link target, size, id or time does not fit, and extended
 * attributes as `SCHILY.xattr.*` pax records (raw bytes, as Docker and GNU
 * tar write them). Names and link targets may be Buffers (file names are
 * bytes). Writes to a Writable and waits for it to drain.
 *
 *   const w = new TarWriter(out);
 *   await w.addDirectory({ name: 'blobs/sha256' });
 *   await w.addFile({ name: 'manifest.json' }, Buffer.from(json));
 *   await w.addFile({ name: `blobs/sha256/${hex}`, size }, createReadStream(path));
 *   await w.finish();
 *
 * Defaults make the output reproducible: mtime 0, uid and gid 0, modes 0644
 * (files), 0755 (directories), 0777 (symlinks).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { MobyDickError } from '../../errors.js';
import { BLOCK, F, headerChecksum, writeOctal } from './tar-format.js';

export interface TarWriterEntry {
  /** a string (written as UTF-8) or the name's bytes */
  name: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** seconds since the epoch, fractions kept (in a pax header) */
  mtime?: number;
  /** extended attributes, values as raw bytes */
  xattrs?: ReadonlyMap<string, Buffer>;
}

const ZEROS = Buffer.alloc(BLOCK * 2);

/** What writes tar entries: TarWriter (bytes), or sink-writer.ts's SinkWriter (straight to an unpacker). */
export interface EntryWriter {
  /** a regular file; DATA is a Buffer or a stream of exactly SIZE bytes */
  addFile(entry: TarWriterEntry & { size?: number }, data: Buffer | AsyncIterable<Buffer>): Promise<void>;
  addDirectory(entry: TarWriterEntry): Promise<void>;
  addSymlink(entry: TarWriterEntry, target: string | Buffer): Promise<void>;
  /** a hard link to TARGET, an entry written before */
  addHardlink(entry: TarWriterEntry, target: string | Buffer): Promise<void>;
  /** a character or block device, or a FIFO */
  addNode(entry: TarWriterEntry, kind: 'char' | 'block' | 'fifo', major?: number, minor?: number): Promise<void>;
  /** the end of the entries */
  finish(): Promise<void>;
}

export class TarWriter implements EntryWriter {
  private finished = false;

  constructor(private readonly out: Writable) {}

  /** a regular file; DATA is a Buffer or a stream of exactly SIZE bytes */
  async addFile(entry: TarWriterEntry & { size?: number }, data: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const size = Buffer.isBuffer(data) ? data.length : entry.size;
    if (size === undefined) throw new TypeError(`addFile ${entry.name}: size is required with a stream`);
    await this.header(entry, '0', size, '', 0o644);
    let written = 0;
    if (Buffer.isBuffer(data)) {
      await this.put(data);
      written = data.length;
    } else {
      for await (const chunk of data) {
        written += chunk.length;
        if (written > size) break;
        await this.put(chunk);
      }
    }
    if (written !== size) {
      throw new MobyDickError('ARCHIVE', `tar entry ${String(entry.name)}: expected ${size} bytes of data, got ${written}`, {
        subject: String(entry.name),
      });
    }
    await this.pad(size);
  }

  async addDirectory(entry: TarWriterEntry): Promise<void> {
    const raw = Buffer.from(entry.name);
    const name = raw[raw.length - 1] === 0x2f ? raw : Buffer.concat([raw, Buffer.from('/')]);
    await this.header({ ...entry, name }, '5', 0, '', 0o755);
  }

  async addSymlink(entry: TarWriterEntry, target: string | Buffer): Promise<void> {
    await this.header(entry, '2', 0, target, 0o777);
  }

  /** a hard link to TARGET, an entry written before */
  async addHardlink(entry: TarWriterEntry, target: string | Buffer): Promise<void> {
    await this.header(entry, '1', 0, target, 0o644);
  }

  /** a character or block device, or a FIFO */
  async addNode(entry: TarWriterEntry, kind: 'char' | 'block' | 'fifo', major = 0, minor = 0): Promise<void> {
    await this.header(entry, kind === 'char' ? '3' : kind === 'block' ? '4' : '6', 0, '', 0o644, [major, minor]);
  }

  /** the end-of-archive marker; the Writable is left open */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.put(ZEROS);
  }

  private async header(e: TarWriterEntry, type: string, size: number, link: string | Buffer, defaultMode: number, dev?: [number, number]): Promise<void> {
    if (this.finished) throw new Error('TarWriter: finish() was already called');
    const name = Buffer.from(e.name);
    const linkname = Buffer.from(link);
    const mtime = e.mtime ?? 0;
    const uid = e.uid ?? 0;
    const gid = e.gid ?? 0;
    const pax: [string, string | Buffer][] = [];
    const block = Buffer.alloc(BLOCK);
    if (name.length <= F.name[1]) name.copy(block, F.name[0]);
    else {
      const split = ustarSplit(name);
      if (split) {
        name.copy(block, F.prefix[0], 0, split);
        name.copy(block, F.name[0], split + 1);
      } else {
        pax.push(['path', name]);
        name.copy(block, F.name[0], 0, F.name[1]);
      }
    }
    if (linkname.length > F.linkname[1]) pax.push(['linkpath', linkname]);
    linkname.copy(block, F.linkname[0], 0, Math.min(linkname.length, F.linkname[1]));
    writeOctal(block, F.mode[0], F.mode[1], (e.mode ?? defaultMode) & 0o7777);
    if (!writeOctal(block, F.uid[0], F.uid[1], uid)) pax.push(['uid', String(uid)]);
    if (!writeOctal(block, F.gid[0], F.gid[1], gid)) pax.push(['gid', String(gid)]);
    if (!writeOctal(block, F.size[0], F.size[1], size)) pax.push(['size', String(size)]);
    if (!Number.isInteger(mtime) || !writeOctal(block, F.mtime[0], F.mtime[1], mtime)) {
      pax.push(['mtime', paxTime(mtime)]);
      writeOctal(block, F.mtime[0], F.mtime[1], Math.max(0, Math.floor(mtime)));
    }
    if (dev) {
      if (!writeOctal(block, F.devmajor[0], F.devmajor[1], dev[0])) pax.push(['SCHILY.devmajor', String(dev[0])]);
      if (!writeOctal(block, F.devminor[0], F.devminor[1], dev[1])) pax.push(['SCHILY.devminor', String(dev[1])]);
    }
    for (const [k, v] of e.xattrs ?? []) pax.push([`SCHILY.xattr.${k}`, v]);
    block.write(type, F.typeflag[0], 'latin1');
    block.write('ustar\u000000', F.magic[0], 'latin1');
    block.write(e.uname ?? '', F.uname[0], F.uname[1], 'utf8');
    block.write(e.gname ?? '', F.gname[0], F.gname[1], 'utf8');
    block.write(
      `${headerChecksum(block).toString(8).padStart(6, '0')}\u0000 `,
      F.chksum[0],
      'latin1',
    );
    if (pax.length) await this.paxHeader(name.toString('utf8'), pax);
    await this.put(block);
  }

  private async paxHeader(name: string, records: [string, string | Buffer][]): Promise<void> {
    const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
    const base = name.replace(/\/+$/, '').split('/').pop() ?? '';
    const paxName = `PaxHeaders/${base.replace(/[^\x20-\x7e]/g, '_').slice(0, 80)}`;
    await this.header({ name: paxName, mode: 0o644 }, 'x', body.length, '', 0o644);
    await this.put(body);
    await this.pad(body.length);
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest) await this.put(ZEROS.subarray(0, BLOCK - rest));
  }

  private async put(buf: Buffer): Promise<void> {
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }
}

/** where to split NAME into ustar prefix and name, or undefined if it cannot be */
function ustarSplit(name: Buffer): number | undefined {
  for (let i = Math.min(name.length - 1, F.prefix[1]); i > 0; i--) {
    if (name[i] === 0x2f && name.length - i - 1 <= F.name[1] && name.length - i - 1 > 0) return i;
  }
  return undefined;
}

/** "LEN key=value\n", LEN counting itself; a Buffer value is written as its bytes */
function paxRecord(key: string, value: string | Buffer): Buffer {
  const v = Buffer.from(value);
  const rest = Buffer.byteLength(` ${key}=\n`) + v.length;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), v, Buffer.from('\n')]);
}

function paxTime(t: number): string {
  if (t < 0) return `-${paxTime(-t)}`;
  const sec = Math.floor(t);
  const nsec = Math.round((t - sec) * 1e9);
  return nsec ? `${sec}.${String(nsec).padStart(9, '0')}` : String(sec);
}
