/** `moby-dick container-exited --root DIR --run-root DIR ID`: run by a container's monitor when the container has ended (not for users). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { storeRoot } from '../../images/store/image-store.js';
import { defineCommand, usage } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'container-exited',
  usage: 'container-exited [--root DIR] [--run-root DIR] CONTAINER',
  summary: "Run by a container's monitor when the container has ended",
  options: { root: { type: 'string' }, 'run-root': { type: 'string' } },
  // its own words when the ID is missing, as before
  args: { min: 0 },
  async run(values, operands) {
    if (values.root) process.env.MOBY_DICK_ROOT = values.root;
    if (values['run-root']) process.env.MOBY_DICK_RUN_ROOT = values['run-root'];
    const id = operands[0];
    if (!id) throw usage('container-exited needs a container ID', 'container-exited');
    // removed meanwhile (run --rm attached, rm -f): open nothing, make nothing
    if (!existsSync(join(values.root ?? storeRoot(), 'containers', id))) return 0;
    await withEngine((e) => e.exited(id));
    return 0;
  },
});
