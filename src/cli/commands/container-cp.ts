/** `cp`: files between a container and the host, or a tar stream, as Docker's (src/engine/copy.ts). */
import { Engine } from '../../engine/engine.js';
import { copy, type CopyOptions, parseCopyArg } from '../../engine/copy.js';
import { copyRootless } from '../../engine/rootless-copy.js';
import { runInUserNamespace, streamFromUserNamespace } from '../../jail/userns-run.js';
import { isRootless } from '../../rootless/rootless.js';
import { selfCommand } from '../self-command.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';

export const command = defineCommand({
  name: 'cp',
  usage: ['cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-', 'cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH'],
  summary: 'Copy files/folders between a container and the local filesystem',
  description: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.

Options:
  -a, --archive       Archive mode (copy all uid/gid information)
  -L, --follow-link   Always follow symbol link in SRC_PATH
  -q, --quiet         Suppress progress output during copy

As an ordinary user (rootless) the container's files are read and written
in your user namespace: what lands in the container is owned by its root
(you, outside), what lands on the host is yours; -a to a host path is
refused (a tar to "-" keeps the owners seen inside).`,
  options: {
    archive: { type: 'boolean', short: 'a' },
    'follow-link': { type: 'boolean', short: 'L' },
    quiet: { type: 'boolean', short: 'q' },
  },
  args: { min: 2, max: 2 },
  async run(values, operands) {
    const from = parseCopyArg(operands[0]!);
    const to = parseCopyArg(operands[1]!);
    const opts: CopyOptions = {
      archive: values.archive === true,
      followLink: values['follow-link'] === true,
      stdin: process.stdin,
      stdout: process.stdout,
      cwd: process.cwd(),
    };
    await withStore((store) => {
      const engine = new Engine(store);
      if (!isRootless()) return copy(engine, from, to, opts);
      // an ordinary user's container: its half of the copy in the user namespace
      return copyRootless(engine, from, to, opts, (req, io) => {
        const argv = [...selfCommand(), 'rootless-cp', JSON.stringify(req)];
        return io.output ? streamFromUserNamespace(argv, io.output, io.passFds) : runInUserNamespace(argv, io.input, io.passFds);
      });
    });
    return 0;
  },
});
