/**
 * `moby-dick rootless-layer REQUEST` (not for users): run as root of the
 * user's user namespace by an ordinary user's `diff` and `commit`
 * (build/rootless-layer.ts): prints the container's changes as JSON, or
 * writes its layer tar with the owners seen inside; REQUEST is its JSON.
 */
import { type LayerRequest, layerInNamespace } from '../../build/rootless-layer.js';
import { defineCommand, usage } from '../command.js';

export const command = defineCommand({
  name: 'rootless-layer',
  usage: 'rootless-layer REQUEST',
  summary: "Run by an ordinary user's diff and commit to read a container's changes in the user namespace",
  options: {},
  args: { min: 1, max: 1 },
  async run(_values, operands) {
    let req: LayerRequest;
    try {
      req = JSON.parse(operands[0]!) as LayerRequest;
    } catch {
      throw usage('rootless-layer needs a JSON request', 'rootless-layer');
    }
    await layerInNamespace(req, process.stdout);
    return 0;
  },
});
