/** `moby-dick unpause CONTAINER...`: thaws what pause froze. */
import { defineCommand } from '../command.js';
import { freeze } from './container-pause.js';

export const command = defineCommand({
  name: 'unpause',
  usage: 'unpause CONTAINER [CONTAINER...]',
  summary: 'Unpause all processes within one or more containers',
  options: {},
  args: { min: 1 },
  run: (_values, operands) => freeze(operands, false),
});
