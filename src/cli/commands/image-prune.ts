/** `moby-dick image prune [-a] [-f]` */
import { pruneImages } from '../../images/remove.js';
import { defineCommand } from '../command.js';
import { humanSize } from '../../util/human-units.js';
import { withStore } from '../image-context.js';

const OPTIONS = { all: { type: 'boolean', short: 'a' }, force: { type: 'boolean', short: 'f' } } as const;

async function confirm(question: string): Promise<boolean> {
  // loaded here: the CLI's startup snapshot cannot hold node:readline (cli/snapshot.ts)
  const rl = process.getBuiltinModule('node:readline/promises').createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

export const command = defineCommand({
  name: 'image prune',
  usage: 'image prune [OPTIONS]',
  summary: 'Remove unused images',
  description: `Remove unused images, then the layers and blobs no image uses

Options:
  -a, --all     remove all images no container uses, not just dangling ones
  -f, --force   do not prompt for confirmation`,
  options: OPTIONS,
  args: { min: 0 },
  async run(flags) {
    if (!flags.force) {
      const what = flags.all ? 'all images without at least one container associated to them' : 'all dangling images';
      if (!(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
    }
    const result = await withStore((store) => pruneImages(store, flags.all === true));
    if (result.deleted.length > 0) {
      process.stdout.write('Deleted Images:\n');
      for (const id of result.deleted) process.stdout.write(`deleted: ${id}\n`);
      process.stdout.write('\n');
    }
    process.stdout.write(`Total reclaimed space: ${humanSize(result.gc.bytes)}\n`);
    return 0;
  },
});
