/**
 * `moby-dick container-health --root DIR --run-root DIR ID`: run by a
 * container's monitor for each health check (not for users): one check
 * (engine/health-check.ts), then the milliseconds until the next on stdout,
 * which the monitor reads (native/src/watch.c).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkHealth } from '../../engine/health-check.js';
import { storeRoot } from '../../images/store/image-store.js';
import { defineCommand, usage } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'container-health',
  usage: 'container-health [--root DIR] [--run-root DIR] CONTAINER',
  summary: "Run by a container's monitor for each health check",
  options: { root: { type: 'string' }, 'run-root': { type: 'string' } },
  args: { min: 1, max: 1 },
  async run(values, operands) {
    if (values.root) process.env.MOBY_DICK_ROOT = values.root;
    if (values['run-root']) process.env.MOBY_DICK_RUN_ROOT = values['run-root'];
    const id = operands[0];
    if (!id) throw usage('container-health needs a container ID', 'container-health');
    // removed meanwhile: open nothing, make nothing
    if (!existsSync(join(values.root ?? storeRoot(), 'containers', id))) return 0;
    const next = await withEngine((e) => checkHealth(e, id));
    process.stdout.write(`${next}\n`);
    return 0;
  },
});
