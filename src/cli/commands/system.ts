/** `moby-dick system service`: the Engine API (src/api/); more of Docker's `system` (df, info, events) may join it. */
import { defineGroup } from '../command.js';
import { command as service } from './system-service.js';

export const command = defineGroup({
  name: 'system',
  summary: 'Manage moby-dick',
  commands: { service },
});
