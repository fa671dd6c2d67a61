/** `moby-dick save [-o FILE] IMAGE...`: images as one docker-archive (and OCI layout) tarball. */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { saveImages } from '../../images/archive/save.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';

const OPTIONS = {
  output: { type: 'string', short: 'o' },
} as const;

/** Writes to a temp file beside FILE and renames it there at the end: a failed save leaves no half archive. */
function openOutput(file: string): { out: WriteStream; commit(): void; discard(): void } {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st && !st.isFile()) {
    // a device, a FIFO: written directly
    const out = createWriteStream(file);
    return { out, commit: () => {}, discard: () => {} };
  }
  const tmp = join(dirname(file), `.${basename(file)}.mdk-save-${process.pid}`);
  const out = createWriteStream(tmp, { mode: 0o644 });
  return { out, commit: () => renameSync(tmp, file), discard: () => rmSync(tmp, { force: true }) };
}

export const command = defineCommand({
  name: 'save',
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  description: `Save one or more images to a tar archive (streamed to STDOUT by default)

Options:
  -o, --output FILE   write to a file, instead of STDOUT

The archive is what Docker 25+ writes: a docker-archive (manifest.json,
repositories) that is also an OCI image layout (oci-layout, index.json,
blobs/sha256/), with each layer once, as an uncompressed tar. A repository
name without a tag saves all its tags; an image ID saves it untagged.`,
  options: OPTIONS,
  args: { min: 1 },
  async run(flags, operands) {
    const file = flags.output;
    if (file === undefined && process.stdout.isTTY) {
      throw new MobyDickError('USAGE', 'cowardly refusing to save to a terminal. Use the -o flag or redirect', {});
    }
    await withStore(async (store) => {
      if (file === undefined) {
        let failed: Error | undefined;
        const onError = (e: Error): void => void (failed ??= e);
        process.stdout.on('error', onError);
        try {
          await saveImages(store, operands, process.stdout);
        } catch (e) {
          throw failed ? outputError('stdout', failed) : e;
        }
        if (failed) throw outputError('stdout', failed);
        return;
      }
      const target = openOutput(file);
      let failed: Error | undefined;
      target.out.on('error', (e) => void (failed ??= e));
      try {
        await saveImages(store, operands, target.out);
        target.out.end();
        if (!failed) await once(target.out, 'close');
        if (failed) throw failed;
        target.commit();
      } catch (e) {
        target.out.destroy();
        target.discard();
        throw failed ? outputError(file, failed) : e;
      }
    });
    return 0;
  },
});

function outputError(where: string, e: Error): MobyDickError {
  const code = (e as NodeJS.ErrnoException).code;
  return new MobyDickError('ARCHIVE', `save: cannot write to ${where}: ${code === 'ENOSPC' ? 'no space left on the device' : e.message}`, {
    subject: where,
  });
}
