/** `moby-dick container COMMAND`: the container commands under one name, as Docker's `docker container ...`. */
import { defineGroup } from '../command.js';
import { command as attach } from './container-attach.js';
import { command as create } from './container-create.js';
import { command as exec } from './container-exec.js';
import { command as inspect } from './container-inspect.js';
import { command as kill } from './container-kill.js';
import { command as logs } from './container-logs.js';
import { command as pause } from './container-pause.js';
import { command as port } from './container-port.js';
import { command as prune } from './container-prune.js';
import { command as ps } from './container-ps.js';
import { command as rename } from './container-rename.js';
import { command as restart } from './container-restart.js';
import { command as rm } from './container-rm.js';
import { command as start } from './container-start.js';
import { command as stats } from './container-stats.js';
import { command as stop } from './container-stop.js';
import { command as top } from './container-top.js';
import { command as unpause } from './container-unpause.js';
import { command as update } from './container-update.js';
import { command as wait } from './container-wait.js';
import { command as run } from './run.js';

export const command = defineGroup({
  name: 'container',
  summary: 'Manage containers',
  commands: { attach, create, exec, inspect, kill, logs, ls: ps, pause, port, prune, rename, restart, rm, run, start, stats, stop, top, unpause, update, wait },
  aliases: { list: 'ls', ps: 'ls', remove: 'rm' },
});
