/** `export`: a container's filesystem as a tar archive, on stdout or to a file (-o), as Docker's. */
import { createWriteStream, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { exportFiles } from '../../engine/container-files.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'export',
  usage: 'export [OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  description: `Export a container's filesystem as a tar archive

Options:
  -o, --output string   Write to a file, instead of STDOUT`,
  options: { output: { type: 'string', short: 'o' } },
  args: { min: 1, max: 1 },
  async run(values, operands) {
    const file = values.output;
    if (file === undefined && process.stdout.isTTY) {
      throw new MobyDickError('USAGE', 'cowardly refusing to save to a terminal. Use the -o flag or redirect', { hint: "see 'moby-dick export --help'" });
    }
    await withEngine(async (engine) => {
      // an ordinary user's container: read in the user namespace (container-files.ts)
      const write = (out: Writable): Promise<void> => exportFiles(engine, operands[0]!, out);
      engine.containers.find(operands[0]!); // a missing container before any file is made
      if (file === undefined) {
        await write(process.stdout);
        return;
      }
      const out = createWriteStream(file);
      try {
        await write(out);
        out.end();
        await finished(out);
      } catch (e) {
        out.destroy();
        rmSync(file, { force: true });
        throw e;
      }
    });
    return 0;
  },
});
