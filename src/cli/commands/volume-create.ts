/** `moby-dick volume create`: a named volume (Docker's local driver: a directory, tmpfs or bind) */
import { MobyDickError } from '../../errors.js';
import { parseVolumeOptions } from '../../engine/volumes.js';
import { defineCommand, usage } from '../command.js';
import { parseLabels } from '../container-flags.js';
import { withVolumes } from '../volume-context.js';

const CREATE_OPTIONS = {
  name: { type: 'string' },
  driver: { type: 'string', short: 'd' },
  label: { type: 'string', multiple: true },
  opt: { type: 'string', short: 'o', multiple: true },
} as const;

export const command = defineCommand({
  name: 'volume create',
  usage: 'volume create [OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  description: `Create a volume

Options:
  -d, --driver local      the volume driver (local, the only one)
      --label KEY=VALUE   set metadata
      --name NAME         the volume's name (as the operand)
  -o, --opt KEY=VALUE     type=TYPE, device=DEVICE, o=OPTIONS: the filesystem each container mounts
                          (e.g. -o type=tmpfs -o device=tmpfs -o o=size=64m; type=none o=bind device=DIR)`,
  options: CREATE_OPTIONS,
  args: { min: 0, max: 1 },
  async run(values, operands) {
    if (values.name !== undefined && operands[0] !== undefined && values.name !== operands[0]) {
      throw usage(`conflicting options: either specify --name or provide positional arg, not both`, 'volume create');
    }
    if (values.driver !== undefined && values.driver !== 'local') {
      throw new MobyDickError('USAGE', `plugin "${values.driver}" not found`, { hint: 'moby-dick has the local driver only' });
    }
    const options = parseVolumeOptions(values.opt ?? []);
    const name = values.name ?? operands[0];
    const labels = parseLabels(values.label ?? []);
    const v = await withVolumes((vs) => vs.create(name, labels, options));
    process.stdout.write(`${v.name}\n`);
    return 0;
  },
});
