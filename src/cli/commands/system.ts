/** `moby-dick system`: Docker's df, info, prune, and the Engine API (service, src/api/). */
import { defineGroup } from '../command.js';
import { command as info } from './info.js';
import { command as df } from './system-df.js';
import { command as prune } from './system-prune.js';
import { command as service } from './system-service.js';

export const command = defineGroup({
  name: 'system',
  summary: 'Manage moby-dick',
  commands: { df, info, prune, service },
});
