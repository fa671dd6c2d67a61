/** `moby-dick rm [-f] [-v] CONTAINER...`: removed (-f: killed first; -v: its anonymous volumes too). */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { reportError } from '../report-error.js';

export const command = defineCommand({
  name: 'rm',
  usage: 'rm [-f] [-v] CONTAINER...',
  summary: 'Remove one or more containers',
  description: `Remove one or more containers

Options:
  -f, --force           kill a running container first
  -v, --volumes         remove its anonymous volumes too`,
  options: { force: { type: 'boolean', short: 'f' }, volumes: { type: 'boolean', short: 'v' } },
  args: { min: 1 },
  async run(values, operands) {
    // as Docker: each container in turn, a failure said and the others still removed, then exit 1
    let failed = false;
    await withEngine((e) => {
      for (const ref of operands) {
        try {
          e.remove(ref, values.force === true, values.volumes === true);
          process.stdout.write(`${ref}\n`);
        } catch (err) {
          reportError(err);
          failed = true;
        }
      }
    });
    return failed ? 1 : 0;
  },
});
