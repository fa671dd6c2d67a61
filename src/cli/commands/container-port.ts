/** `moby-dick port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports, as Docker lists them. */
import { MobyDickError } from '../../errors.js';
import { portLine } from '../../network/port-spec.js';
import { parseCommandLine } from '../args.js';
import { type Command, help, needArgs, withEngine } from './engine-command.js';

export const port: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, 'moby-dick port --help');
  if (values.help) return help('Usage: moby-dick port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nList port mappings or a specific mapping for the container\n');
  needArgs('port', operands, 1);
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
};
