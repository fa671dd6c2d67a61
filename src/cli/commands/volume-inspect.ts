/** `moby-dick volume inspect`: Docker's volume inspect document */
import { volumeDocument } from '../../engine/volumes.js';
import { defineCommand } from '../command.js';
import { writeInspect } from '../go-template.js';
import { withVolumes } from '../volume-context.js';

export const command = defineCommand({
  name: 'volume inspect',
  usage: 'volume inspect [-f FORMAT] VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  description: `Display detailed information on one or more volumes

Options:
  -f, --format FORMAT   json (default) or a Go template`,
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withVolumes((vs) => operands.map((n) => volumeDocument(vs.get(n))));
    // Docker's volume inspect has no raw document to fall back on: its errors name the Go type
    return writeInspect(docs, values.format, { typeName: 'volume.Volume' });
  },
});
