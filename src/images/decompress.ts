/**
 * Layer decompression: gzip with Node's zlib (faster here than the gzip
 * binary), zstd with Debian's `zstd` binary streamed through a pipe (Node 20's
 * zlib has no zstd; see bench/README.md for why not a library), or none.
 *
 * The format is told by the first bytes of the stream (gzip 1f 8b, zstd
 * 28 b5 2f fd, anything else is taken as tar), as Docker does: layers whose
 * media type says gzip but are not exist in the wild. A media type is still
 * checked, so that a layer of a kind we cannot unpack is refused by name.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MobyDickError } from '../errors.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/** what an archive that is not a layer may be compressed with */
export type ArchiveCompression = Compression | 'xz' | 'bzip2';

const LAYER_TYPES: Record<string, Compression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/** the compression a layer media type names; throws for one that is not a layer we can unpack */
export function compressionOfMediaType(mediaType: string): Compression {
  const c = LAYER_TYPES[mediaType];
  if (!c) {
    throw new MobyDickError('ARCHIVE', `unsupported layer media type ${mediaType}`, {
      subject: mediaType,
      hint: 'moby-dick unpacks tar layers, uncompressed, gzip or zstd',
    });
  }
  return c;
}

/** the compression the first bytes show */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** the compression the first bytes of an archive show: a layer's, or xz (fd 37 7a 58 5a 00) or bzip2 ("BZh") */
export function sniffArchiveCompression(head: Uint8Array): ArchiveCompression {
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3] !== undefined && head[3] >= 0x31 && head[3] <= 0x39) return 'bzip2';
  return sniffCompression(head);
}

/** The decompressed bytes of INPUT, a layer. The compression is sniffed from its first bytes. */
export function decompress(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return decompressAs(input, sniffCompression);
}

/** The decompressed bytes of INPUT, an archive that may also be xz or bzip2 (ADD, a build context). */
export function decompressArchive(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return decompressAs(input, sniffArchiveCompression);
}

async function* decompressAs(input: AsyncIterable<Buffer>, sniff: (head: Uint8Array) => ArchiveCompression): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 6) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const compression = sniff(Buffer.concat(head, headLen));
  async function* all(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (compression === 'none') yield* all();
  else if (compression === 'gzip') yield* gunzip(all());
  else yield* throughProgram(compression, all());
}

/** the program (Debian package) and arguments that decompress to stdout */
const PROGRAMS: Record<'zstd' | 'xz' | 'bzip2', { argv: string[]; pkg: string }> = {
  zstd: { argv: ['zstd', '-d', '-c', '-q'], pkg: 'zstd' },
  xz: { argv: ['xz', '-d', '-c', '-q'], pkg: 'xz-utils' },
  bzip2: { argv: ['bzip2', '-d', '-c', '-q'], pkg: 'bzip2' },
};

async function* gunzip(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const src = Readable.from(input, { objectMode: false });
  const z = createGunzip({ chunkSize: 256 * 1024 });
  src.on('error', (e) => z.destroy(e));
  src.pipe(z);
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (e) {
    throw decompressError('gzip', e);
  } finally {
    src.destroy();
    z.destroy();
  }
}

async function* throughProgram(kind: 'zstd' | 'xz' | 'bzip2', input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // loaded here: only these streams need child_process (it costs start-up time)
  const { spawn } = await import('node:child_process');
  const { argv, pkg } = PROGRAMS[kind];
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(argv[0]!, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const src = Readable.from(input, { objectMode: false });
  src.on('error', (e) => child.stdout.destroy(e));
  child.stdin.on('error', () => {}); // EPIPE when the program fails: its exit status tells why
  src.pipe(child.stdin);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const status = await exited;
    if (status === 'ENOENT') {
      throw new MobyDickError('ARCHIVE', `cannot decompress a ${kind} stream: the ${argv[0]} program is not installed`, {
        subject: kind,
        hint: `install it (apt-get install ${pkg})`,
      });
    }
    if (status !== 0) throw decompressError(kind, new Error(stderr.trim() || `${argv[0]} exited with ${status}`));
  } catch (e) {
    throw e instanceof MobyDickError ? e : decompressError(kind, e);
  } finally {
    src.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function decompressError(kind: string, e: unknown): MobyDickError {
  return new MobyDickError('ARCHIVE', `cannot decompress the ${kind} stream: ${(e as Error).message}`, {
    subject: kind,
    hint: 'the layer is corrupt or incomplete; pull it again',
  });
}
