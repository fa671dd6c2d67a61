/**
 * `moby-dick volume create|ls|inspect|rm|prune`: named volumes of the
 * store (engine/volumes.ts), as Docker's "local" driver keeps them.
 */
import { defineGroup } from '../command.js';
import { command as create } from './volume-create.js';
import { command as inspect } from './volume-inspect.js';
import { command as ls } from './volume-ls.js';
import { command as prune } from './volume-prune.js';
import { command as rm } from './volume-rm.js';

export const command = defineGroup({
  name: 'volume',
  summary: 'Manage volumes',
  commands: { create, inspect, ls, prune, rm },
  aliases: { list: 'ls', remove: 'rm' },
});
