/** `export`: a container's filesystem as a tar archive, on stdout or to a file (-o), as Docker's. */
import { createWriteStream, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Engine } from '../../engine/engine.js';
import { exportContainer } from '../../engine/export.js';
import { MobyDickError } from '../../errors.js';
import { parseCommandLine } from '../args.js';
import { withStore } from '../image-context.js';

const HELP = `Usage: moby-dick export [OPTIONS] CONTAINER

Export a container's filesystem as a tar archive

Options:
  -o, --output string   Write to a file, instead of STDOUT
`;

const OPTIONS = { output: { type: 'string', short: 'o' }, help: { type: 'boolean' } } as const;

export async function exportCommand(argv: readonly string[]): Promise<number> {
  const { values, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick export --help');
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (operands.length !== 1) {
    throw new MobyDickError('USAGE', '"moby-dick export" requires exactly 1 argument', { hint: "see 'moby-dick export --help'" });
  }
  const file = values.output;
  if (file === undefined && process.stdout.isTTY) {
    throw new MobyDickError('USAGE', 'cowardly refusing to save to a terminal. Use the -o flag or redirect', { hint: "see 'moby-dick export --help'" });
  }
  await withStore(async (store) => {
    const engine = new Engine(store);
    engine.containers.find(operands[0]!); // a missing container before any file is made
    if (file === undefined) {
      await exportContainer(engine, operands[0]!, process.stdout);
      return;
    }
    const out = createWriteStream(file);
    try {
      await exportContainer(engine, operands[0]!, out);
      out.end();
      await finished(out);
    } catch (e) {
      out.destroy();
      rmSync(file, { force: true });
      throw e;
    }
  });
  return 0;
}
