/** `export`: a container's filesystem as a tar archive, on stdout or to a file (-o), as Docker's. */
import { createWriteStream, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Engine } from '../../engine/engine.js';
import { exportContainer, exportRootlessContainer } from '../../engine/export.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';
import { isRootless } from '../../rootless/rootless.js';
import { selfCommand } from '../self-command.js';
import { streamFromUserNamespace } from '../../jail/userns-run.js';

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
    await withStore(async (store) => {
      const engine = new Engine(store);
      // an ordinary user's container: read in the user namespace
      const write = (out: Writable): Promise<void> => (isRootless() ? exportRootlessContainer(engine, operands[0]!, (dirs) => streamFromUserNamespace([...selfCommand(), 'rootless-export', ...dirs], out)) : exportContainer(engine, operands[0]!, out));
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
