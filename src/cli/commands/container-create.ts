/** `moby-dick create [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container from an image, not started (the image pulled when missing). */
import { openCidFile } from '../cid-file.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { CREATE_OPTIONS, CREATE_OPTIONS_HELP, createRequest } from '../create-options.js';
import { withEngine } from '../engine-context.js';
import { RUN_OPTIONS_HELP } from '../run-options.js';

// --rootfs is run's (a foreground jail), not a container to create: create refuses it as an unknown flag
const { rootfs: _rootfs, ...OPTIONS } = CREATE_OPTIONS;

export const command = defineCommand({
  name: 'create',
  usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create a new container',
  description: `Create a new container (start it with \`moby-dick start\`)

Options:
${CREATE_OPTIONS_HELP}
${RUN_OPTIONS_HELP}`,
  options: OPTIONS,
  trailingCommand: true,
  runExitCodes: true,
  // createRequest says what is missing, as run does
  args: { min: 0 },
  async run(values, operands) {
    if (values.explain !== undefined) {
      // create only records the container: the kernel is asked for nothing until start
      throw new MobyDickError('USAGE', '--explain is for start: create asks nothing of the kernel yet', { hint: "explain the start: 'moby-dick start --explain CONTAINER'" });
    }
    const req = createRequest(values, operands, 'create');
    const cid = openCidFile(values.cidfile);
    try {
      const record = await withEngine(async (e) => {
        const r = await e.create(req);
        cid.write(r.id);
        return r;
      }, true);
      process.stdout.write(`${record.id}\n`);
    } catch (e) {
      cid.abandon();
      throw e;
    }
    return 0;
  },
});
