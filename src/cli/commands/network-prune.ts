/** `moby-dick network prune`: removes the networks no container uses */
import { confirm, defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'network prune',
  usage: 'network prune [-f]',
  summary: 'Remove all unused networks',
  description: `Remove all unused networks

Options:
  -f, --force           do not prompt for confirmation`,
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 0 },
  async run(values) {
    if (!values.force && !(await confirm('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
    const removed = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      const used = new Set(e.containers.all().flatMap((r) => (r.net?.mode === 'bridge' ? r.net.networks.map((a) => a.id) : [])));
      return e.networks.prune((id) => used.has(id));
    });
    if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n.name}\n`).join('')}`);
    return 0;
  },
});
