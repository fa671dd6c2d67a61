/** `cp`: files between a container and the host, or a tar stream, as Docker's (src/engine/copy.ts). */
import { type CopyOptions, parseCopyArg } from '../../engine/copy.js';
import { copyFiles } from '../../engine/container-files.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

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
    // an ordinary user's container: its half of the copy in the user namespace (container-files.ts)
    await withEngine((engine) => copyFiles(engine, from, to, opts));
    return 0;
  },
});
