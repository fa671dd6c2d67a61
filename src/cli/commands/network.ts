/**
 * `moby-dick network create|ls|inspect|rm|connect|disconnect|prune`:
 * bridge networks (network/networks.ts), with Docker's words and output.
 * `ls` shows the pre-defined "host" and "none" next to "bridge", as Docker.
 */
import { defineGroup } from '../command.js';
import { command as connect } from './network-connect.js';
import { command as create } from './network-create.js';
import { command as disconnect } from './network-disconnect.js';
import { command as inspect } from './network-inspect.js';
import { command as ls } from './network-ls.js';
import { command as prune } from './network-prune.js';
import { command as rm } from './network-rm.js';

export const command = defineGroup({
  name: 'network',
  summary: 'Manage networks',
  commands: { connect, create, disconnect, inspect, ls, prune, rm },
  aliases: { list: 'ls', remove: 'rm' },
});
