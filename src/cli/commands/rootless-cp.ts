/**
 * `moby-dick rootless-cp REQUEST` (not for users): run as root of the
 * user's user namespace by an ordinary user's `cp` (engine/rootless-copy.ts)
 * to do the container's half of the copy (engine/copy-in-namespace.ts);
 * REQUEST is its JSON.
 */
import { copyInNamespace } from '../../engine/copy-in-namespace.js';
import type { NamespaceCopyRequest } from '../../engine/rootless-copy.js';
import { defineCommand, usage } from '../command.js';

export const command = defineCommand({
  name: 'rootless-cp',
  usage: 'rootless-cp REQUEST',
  summary: "Run by an ordinary user's cp to copy a container's files in the user namespace",
  options: {},
  args: { min: 1, max: 1 },
  async run(_values, operands) {
    let req: NamespaceCopyRequest;
    try {
      req = JSON.parse(operands[0]!) as NamespaceCopyRequest;
    } catch {
      throw usage('rootless-cp needs a JSON request', 'rootless-cp');
    }
    await copyInNamespace(req, process.stdin, process.stdout);
    return 0;
  },
});
