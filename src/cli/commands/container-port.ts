/** `moby-dick port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports, as Docker lists them. */
import { MobyDickError } from '../../errors.js';
import { portLine } from '../../network/port-spec.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

export const command = defineCommand({
  name: 'port',
  usage: 'port CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'List port mappings or a specific mapping for the container',
  options: {},
  args: { min: 1 },
  async run(_values, operands) {
    const [ref, wanted] = operands as [string, string | undefined];
    const ports = await withEngine((e) => {
      const v = e.inspect(ref);
      return e.networkFacts(v).ports;
    });
    if (wanted === undefined) {
      process.stdout.write(ports.map((p) => `${portLine(p)}\n`).join(''));
      return 0;
    }
    const [num, proto = 'tcp'] = wanted.split('/');
    const hits = ports.filter((p) => String(p.containerPort) === num && p.protocol === proto);
    if (!hits.length) throw new MobyDickError('USAGE', `No public port '${num}/${proto}' published for ${ref}`, { container: ref });
    process.stdout.write(hits.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}\n`).join(''));
    return 0;
  },
});
