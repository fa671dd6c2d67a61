/**
 * The files of an image archive (a docker-archive or an OCI image layout
 * tarball), read in one pass through the streaming tar reader: the entries
 * come in any order (`docker save` writes manifest.json last), so every
 * regular file is written to a temp file in DIR while its sha256 is
 * computed, and the loader then picks what manifest.json or index.json
 * names. A blob the loader keeps is renamed from there into the store (DIR
 * is under the store's ingest directory, on the same file system), so each
 * byte is written once. Symlinks and hard links inside the archive (old
 * `docker save` links a repeated layer.tar to the first) are followed by
 * name; nothing of the archive is ever created at a path it names.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { decompress } from '../decompress.js';
import type { BlobStore } from '../store/blobs.js';
import { openTarReader } from '../tar/tar-reader.js';

export interface ArchiveFile {
  /** the entry's name, normalised: no leading "./" or "/" */
  name: string;
  /** the temp file holding its bytes */
  path: string;
  digest: string;
  size: number;
}

/** An entry name without "./", "//", a leading "/" or ".." that climbs out. */
export function normalizeEntryName(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

export class ArchiveFiles {
  private readonly files = new Map<string, ArchiveFile>();
  /** link name -> target name, both normalised */
  private readonly links = new Map<string, string>();

  constructor(readonly dir: string) {}

  /** @internal */
  addFile(f: ArchiveFile): void {
    this.links.delete(f.name);
    this.files.set(f.name, f);
  }

  /** @internal */
  addLink(name: string, target: string): void {
    this.files.delete(name);
    this.links.set(name, target);
  }

  /** The file NAME names, through links; undefined when the archive has none. */
  get(name: string): ArchiveFile | undefined {
    let n = normalizeEntryName(name);
    for (let hops = 0; hops < 32; hops++) {
      const f = this.files.get(n);
      if (f) return f;
      const t = this.links.get(n);
      if (t === undefined) return undefined;
      n = t;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every regular file, by name. */
  all(): ArchiveFile[] {
    return [...this.files.values()];
  }

  /** The bytes of a small file (manifest.json, a config); at most MAX bytes. */
  read(file: ArchiveFile, max = 64 << 20): Buffer {
    if (file.size > max) {
      throw new MobyDickError('ARCHIVE', `entry "${file.name}" is ${file.size} bytes, more than the ${max} a metadata file may have`, {
        subject: file.name,
      });
    }
    return readFileSync(file.path);
  }
}

/**
 * Reads the archive INPUT (plain, gzip or zstd, as `docker load` takes it)
 * into temp files under DIR, which the caller made and removes. Throws the
 * tar reader's ARCHIVE error (which names the entry and the byte offset) for
 * a corrupt or truncated archive.
 */
export async function readArchive(input: AsyncIterable<Buffer>, blobs: BlobStore, dir: string): Promise<ArchiveFiles> {
  const files = new ArchiveFiles(dir);
  let n = 0;
  let entries = 0;
  for await (const { header, body } of openTarReader(decompress(input))) {
    entries++;
    const name = normalizeEntryName(header.name);
    if (header.type === 'file') {
      const r = await blobs.ingestUnknown(body, dir, `f${n++}`);
      files.addFile({ name, ...r });
    } else if (header.type === 'symlink') {
      const target = header.linkname.startsWith('/') ? header.linkname : posix.join(posix.dirname(name), header.linkname);
      files.addLink(name, normalizeEntryName(target));
    } else if (header.type === 'hardlink') {
      files.addLink(name, normalizeEntryName(header.linkname));
    }
    // directories and anything else carry nothing an image needs
  }
  if (entries === 0) {
    throw new MobyDickError('ARCHIVE', 'the archive is empty (no tar entries)', { hint: 'is it a tar made by docker save or skopeo?' });
  }
  return files;
}
