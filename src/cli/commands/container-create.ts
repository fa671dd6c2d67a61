/** `moby-dick create [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container from an image, not started (the image pulled when missing). */
import { openCidFile } from '../cid-file.js';
import { dirname } from 'node:path';
import { explainCreated, renderCreated } from '../../explain/created.js';
import { explainFormat } from '../../explain/recorder.js';
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
    // create only records the container: the kernel is asked for nothing until start, which --explain says
    const format = explainFormat(values.explain);
    const req = createRequest(values, operands, 'create');
    const cid = openCidFile(values.cidfile);
    try {
      const record = await withEngine(async (e) => {
        const r = await e.create(req);
        cid.write(r.id);
        return r;
      }, true);
      process.stdout.write(`${record.id}\n`);
      if (format) {
        const en = record.engine;
        const created = { id: record.id, name: record.name, image: record.image, imageId: record.imageId, layers: record.layers.length, argv: en.argv, user: en.user, cwd: en.cwd, hostname: en.hostname, dir: dirname(en.rootfs) };
        process.stderr.write(renderCreated(explainCreated(created), format));
      }
    } catch (e) {
      cid.abandon();
      throw e;
    }
    return 0;
  },
});
