/**
 * `moby-dick rootless-export LOWER...` (not for users): run as root of the
 * user's user namespace by a rootless `export` (engine/export.ts), writes
 * to stdout the tar of the read-only overlay of LOWER (topmost first: the
 * container's writable layer, then its image's layers), mounted detached
 * with `userxattr`. Seen from the namespace, the files of the user's
 * subordinate ids have the image's ids again (range id -> in-namespace id),
 * so the tar holds the owners the container sees.
 */
import { isAbsolute } from 'node:path';
import { writeOverlayTar } from '../../engine/export.js';
import { usage, defineCommand } from '../command.js';

export const command = defineCommand({
  name: 'rootless-export',
  usage: 'rootless-export LOWER...',
  summary: 'Run by a rootless export to write a container\'s files as a tar in the user namespace',
  options: {},
  args: { min: 1 },
  async run(_values, operands) {
    if (!operands.every((d) => isAbsolute(d))) throw usage('rootless-export needs absolute directories', 'rootless-export');
    await writeOverlayTar(operands, process.stdout, true, 'exporting');
    return 0;
  },
});
