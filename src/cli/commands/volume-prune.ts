/** `moby-dick volume prune`: removes the volumes no container uses */
import { MobyDickError } from '../../errors.js';
import { humanSize } from '../../util/human-units.js';
import type { Volume } from '../../engine/volumes.js';
import { confirm, defineCommand } from '../command.js';
import { withVolumes } from '../volume-context.js';

const PRUNE_OPTIONS = { all: { type: 'boolean', short: 'a' }, force: { type: 'boolean', short: 'f' }, filter: { type: 'string', multiple: true } } as const;

export const command = defineCommand({
  name: 'volume prune',
  usage: 'volume prune [OPTIONS]',
  summary: 'Remove unused local volumes',
  description: `Remove unused local volumes

Options:
  -a, --all             remove all unused volumes, not just anonymous ones
      --filter FILTER   label=KEY[=VALUE], label!=KEY[=VALUE]
  -f, --force           do not prompt for confirmation`,
  options: PRUNE_OPTIONS,
  args: { min: 0 },
  async run(values) {
    const labels = (values.filter ?? []).map((f) => {
      const m = /^label(!?)=([^=]+)(?:=(.*))?$/.exec(f);
      if (!m) throw new MobyDickError('USAGE', `invalid filter '${f.split('=')[0]}'`, { hint: 'volume prune takes label=KEY[=VALUE] and label!=KEY[=VALUE]' });
      return { negate: m[1] === '!', key: m[2]!, value: m[3] };
    });
    const keep = (v: Volume): boolean => labels.some((l) => (Object.hasOwn(v.labels, l.key) && (l.value === undefined || v.labels[l.key] === l.value)) === l.negate);
    const what = values.all ? 'all local volumes not used by at least one container' : 'anonymous local volumes not used by at least one container';
    if (!values.force && !(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
    const { deleted, bytes } = await withVolumes((vs, containers) => vs.prune(containers, values.all === true, keep));
    if (deleted.length) process.stdout.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(bytes, 4)}\n`);
    return 0;
  },
});
