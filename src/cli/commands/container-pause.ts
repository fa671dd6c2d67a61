/** `moby-dick pause CONTAINER...`: freezes every process of a container (its cgroup freezer); `unpause` thaws them. */
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'pause',
  usage: 'pause CONTAINER [CONTAINER...]',
  summary: 'Pause all processes within one or more containers',
  description: `Pause all processes within one or more containers

The container's cgroup is frozen (cgroup v2's cgroup.freeze, v1's freezer).
As an ordinary user (rootless) that needs a cgroup v2 subtree delegated to
you; without one pause and unpause are refused in one line.`,
  options: {},
  args: { min: 1 },
  run: (_values, operands) => freeze(operands, true),
});

/** Pauses (FROZEN) or unpauses each container, printing its name as Docker does. */
export async function freeze(refs: readonly string[], frozen: boolean): Promise<number> {
  await withEngine((e) => {
    for (const ref of refs) {
      e.pause(ref, frozen);
      process.stdout.write(`${ref}\n`);
    }
  });
  return 0;
}
