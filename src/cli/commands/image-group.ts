/** `moby-dick image COMMAND`: the image commands under one name, as Docker's `docker image ...`. */
import { defineGroup } from '../command.js';
import { command as inspect } from './image-inspect.js';
import { command as prune } from './image-prune.js';
import { command as ls } from './images.js';
import { command as importCommand } from './import.js';
import { command as load } from './load.js';
import { command as pull } from './pull.js';
import { command as push } from './push.js';
import { command as rm } from './rmi.js';
import { command as save } from './save.js';
import { command as tag } from './tag.js';

export const command = defineGroup({
  name: 'image',
  summary: 'Manage images',
  commands: { import: importCommand, inspect, load, ls, prune, pull, push, rm, save, tag },
  aliases: { list: 'ls', remove: 'rm' },
});
