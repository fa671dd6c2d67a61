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

/** The decompressed bytes of INPUT. The compression is sniffed from its first bytes. */
export async function* decompress(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const compression = sniffCompression(Buffer.concat(head, headLen));
  async function* all(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (compression === 'none') yield* all();
  else if (compression === 'gzip') yield* gunzip(all());
  else yield* unzstd(all());
}

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

async function* unzstd(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // loaded here: only zstd layers need child_process (it costs start-up time)
  const { spawn } = await import('node:child_process');
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn('zstd', ['-d', '-c', '-q'], {
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
  child.stdin.on('error', () => {}); // EPIPE when zstd fails: its exit status tells why
  src.pipe(child.stdin);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const status = await exited;
    if (status === 'ENOENT') {
      throw new MobyDickError('ARCHIVE', 'cannot decompress a zstd layer: the zstd program is not installed', {
        subject: 'zstd',
        hint: 'install it (apt-get install zstd)',
      });
    }
    if (status !== 0) throw decompressError('zstd', new Error(stderr.trim() || `zstd exited with ${status}`));
  } catch (e) {
    throw e instanceof MobyDickError ? e : decompressError('zstd', e);
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
