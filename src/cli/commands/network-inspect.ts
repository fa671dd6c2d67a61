/** `moby-dick network inspect`: Docker's network inspect document */
import type { Engine } from '../../engine/engine.js';
import { networkDocument } from '../../engine/network-inspect.js';
import type { NetworkRecord } from '../../network/network-table.js';
import { defineCommand } from '../command.js';
import { writeInspect } from '../go-template.js';
import { withEngine } from '../engine-context.js';

/** Docker's network inspect document. */
function inspectJson(e: Engine, n: NetworkRecord): Record<string, unknown> {
  return networkDocument(n, e.networks.table.endpoints({ networkId: n.id }), (id) => {
    try {
      return e.containers.find(id).name;
    } catch {
      return ''; // removed meanwhile
    }
  });
}

export const command = defineCommand({
  name: 'network inspect',
  usage: 'network inspect [-f FORMAT] NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  description: `Display detailed information on one or more networks

Options:
  -f, --format FORMAT   json (default) or a Go template`,
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return operands.map((ref) => inspectJson(e, e.networks.find(ref)));
    });
    return writeInspect(docs, values.format);
  },
});
