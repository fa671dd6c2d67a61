/** `moby-dick explain [--format json] CONTAINER`: what a running container has, read from the kernel, beside the host. */
import { readFileSync, readlinkSync } from 'node:fs';
import { readCgroupLayout } from '../../cgroups/layout.js';
import { MobyDickError } from '../../errors.js';
import { explainLive, renderLive } from '../../explain/live.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

/** A file's text, or a namespace link's target; null when it cannot be read. */
function read(path: string): string | null {
  try {
    return /\/ns\/[a-z]+$/.test(path) ? readlinkSync(path) : readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export const command = defineCommand({
  name: 'explain',
  usage: 'explain [--format json] CONTAINER',
  summary: 'Show what isolation a running container has, read from the kernel',
  description: `Show what isolation a running container has, read from the kernel
rather than from moby-dick's records, side by side with the host: its
namespaces (/proc/PID/ns), capabilities, seccomp mode and no_new_privs
(/proc/PID/status), cgroups and their limits, mounts, and network
interfaces; and where Docker would have done otherwise with the same flags.
To see how a container is made, step by step, give --explain to run,
start or exec.

Options:
      --format json   print JSON`,
  options: { format: { type: 'string' } },
  args: { min: 1, max: 1 },
  async run(values, operands) {
    if (values.format !== undefined && values.format !== 'json') {
      throw new MobyDickError('USAGE', `invalid --format ${JSON.stringify(values.format)}`, { hint: 'give --format json, or leave it out for a table' });
    }
    const e = await withEngine((engine) => {
      const v = engine.inspect(operands[0]!);
      if (!v.state.Running || v.pid <= 0) throw new MobyDickError('USAGE', `container ${v.record.id} is not running`, { container: operands[0], hint: 'start it first: explain reads a running container from the kernel' });
      const en = v.record.engine;
      const flags = { capAdd: en.capAdd, capDrop: en.capDrop, privileged: en.privileged, seccomp: typeof en.seccomp === 'string' ? en.seccomp : ('custom' as const), noNewPrivileges: en.noNewPrivileges };
      return explainLive({ id: v.record.id, name: v.record.name, pid: v.pid, read, cgroupVersion: readCgroupLayout().version, flags });
    });
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(e, null, 2)}\n` : renderLive(e));
    return 0;
  },
});
