/** `moby-dick volume inspect`: Docker's volume inspect document */
import type { Volume } from '../../engine/volumes.js';
import { defineCommand } from '../command.js';
import { inspectOutput } from '../go-template.js';
import { withVolumes } from '../volume-context.js';

function inspectJson(v: Volume): Record<string, unknown> {
  return {
    CreatedAt: `${v.createdAt.slice(0, 19)}Z`,
    Driver: 'local',
    Labels: Object.keys(v.labels).length ? v.labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length ? v.options : null,
    Scope: 'local',
  };
}

export const command = defineCommand({
  name: 'volume inspect',
  usage: 'volume inspect [-f FORMAT] VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withVolumes((vs) => operands.map((n) => inspectJson(vs.get(n))));
    process.stdout.write(inspectOutput(docs, values.format));
    return 0;
  },
});
