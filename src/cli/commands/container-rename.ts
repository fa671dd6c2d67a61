/** `moby-dick rename CONTAINER NEW_NAME`: names stay unique (the database decides a race). */
import { parseCommandLine } from '../args.js';
import { type Command, help, needArgs, withEngine } from './engine-command.js';

export const rename: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, 'moby-dick rename --help');
  if (values.help) return help('Usage: moby-dick rename CONTAINER NEW_NAME\n\nRename a container\n');
  needArgs('rename', operands, 2, true);
  await withEngine((e) => e.rename(operands[0]!, operands[1]!));
  return 0;
};
