/**
 * `moby-dick rootless-remove DIR`: removes DIR and everything in it as root
 * of the user's user namespace (not for users): a rootless store's layers
 * hold files of the user's subordinate ids, which the user alone may not
 * remove (jail/rootless-store.ts).
 */
import { isAbsolute } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { runInUserNamespace } from '../../jail/userns-run.js';
import { defineCommand, usage } from '../command.js';

export const command = defineCommand({
  name: 'rootless-remove',
  usage: 'rootless-remove DIR',
  summary: 'Run by a rootless image store to remove a layer in the user namespace',
  options: {},
  args: { min: 1, max: 1 },
  async run(_values, operands) {
    const dir = operands[0]!;
    if (!isAbsolute(dir)) throw usage('rootless-remove needs an absolute directory', 'rootless-remove');
    const r = await runInUserNamespace(['rm', '-rf', '--', dir]);
    if (r.code !== 0) throw new MobyDickError('STORE', `rm -rf ${dir} in the user namespace: ${r.stderr.trim() || `exit ${r.code}`}`, { subject: dir });
    return 0;
  },
});
