/**
 * `moby-dick rootless-unpack --layer DIGEST DIR`: unpacks the plain layer
 * tar on stdin into DIR for a rootless store (not for users). Run by the
 * rootless store (jail/rootless-store.ts) as root of the user's user
 * namespace, where the layer's owners become the user's subordinate ids;
 * device nodes and root's xattrs are skipped with a warning each.
 */
import { isAbsolute } from 'node:path';
import { unpackLayer } from '../../images/unpack/unpack-layer.js';
import { defineCommand, usage } from '../command.js';

export const command = defineCommand({
  name: 'rootless-unpack',
  usage: 'rootless-unpack --layer DIGEST DIR',
  summary: 'Run by a rootless image store to unpack a layer in the user namespace',
  options: { layer: { type: 'string' } },
  args: { min: 1, max: 1 },
  async run(values, operands) {
    const dest = operands[0]!;
    if (!isAbsolute(dest)) throw usage('rootless-unpack needs an absolute directory', 'rootless-unpack');
    await unpackLayer(process.stdin, dest, {
      layerDigest: values.layer ?? 'from stdin',
      rootless: { warn: (m) => void process.stderr.write(`moby-dick: warning: ${m}\n`) },
    });
    return 0;
  },
});
