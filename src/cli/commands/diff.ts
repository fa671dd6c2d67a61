/** `moby-dick diff CONTAINER`: what a container changed in its filesystem, A/C/D. */
import { containerChanges } from '../../build/container-commit.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'diff',
  usage: 'diff CONTAINER',
  summary: "Inspect changes to files or directories on a container's filesystem",
  description: `Inspect changes to files or directories on a container's filesystem

One line a path: A added, C changed, D deleted.`,
  options: {},
  args: { min: 1, max: 1 },
  async run(_flags, operands) {
    // an ordinary user's container: read in the user namespace (container-commit.ts)
    const changes = await withEngine((engine) => containerChanges(engine, operands[0]!));
    process.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    return 0;
  },
});
