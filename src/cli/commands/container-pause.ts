/** `moby-dick pause CONTAINER...` and `unpause`: freeze and thaw every process of a container (its cgroup freezer). */
import { parseCommandLine } from '../args.js';
import { type Command, help, needArgs, withEngine } from './engine-command.js';

function freezer(name: 'pause' | 'unpause', frozen: boolean): Command {
  return async (argv) => {
    const { values, operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, `moby-dick ${name} --help`);
    if (values.help) {
      return help(`Usage: moby-dick ${name} CONTAINER [CONTAINER...]\n\n${frozen ? 'Pause all processes within one or more containers' : 'Unpause all processes within one or more containers'}\n`);
    }
    needArgs(name, operands, 1);
    await withEngine((e) => {
      for (const ref of operands) {
        e.pause(ref, frozen);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  };
}

export const pause = freezer('pause', true);
export const unpause = freezer('unpause', false);
