/**
 * How the store unpacks a layer: a function it is given, so that the store
 * does not depend on a tar implementation. The store hands it the plain
 * (already decompressed) tar stream and an empty directory, and has already
 * checked nothing: it hashes the same stream itself to verify the diff ID,
 * and discards the directory if either fails.
 *
 * The real unpacker (exact ownership, modes, xattrs, device nodes, whiteouts
 * as overlay expects, every path resolved inside the root) lives in
 * src/images/tar*; gnuTarUnpacker below is a stand-in that lets the store
 * and the CLI work end to end until it is wired in.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface UnpackOptions {
  /** the layer's diff ID, for messages */
  diffId: string;
}

export type LayerUnpacker = (tar: Readable, destDir: string, opts: UnpackOptions) => Promise<void>;

/**
 * GNU tar as the unpacker: numeric owners, permissions and xattrs kept.
 * A stand-in: it does not turn .wh. whiteouts into overlay whiteouts and
 * trusts tar's own path checks.
 */
export const gnuTarUnpacker: LayerUnpacker = async (tar, destDir, opts) => {
  const child = spawn(
    'tar',
    ['-x', '-f', '-', '-C', destDir, '--numeric-owner', '--same-permissions', '--same-owner', '--xattrs', '--xattrs-include=*', '--no-overwrite-dir'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  let inputError: Error | undefined;
  const onInputError = (e: Error): void => {
    inputError = e;
    child.kill('SIGKILL');
  };
  tar.on('error', onInputError);
  // tar may exit once it has read the end-of-archive blocks, before the
  // padding after them: its exit status tells whether it worked, not EPIPE
  child.stdin.on('error', () => {});
  tar.pipe(child.stdin);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  }).finally(() => {
    tar.unpipe(child.stdin);
    tar.off('error', onInputError);
  });
  if (inputError) throw inputError;
  if (code !== 0) throw new Error(`tar -x of layer ${opts.diffId} failed (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`);
};
