/** `moby-dick logout [SERVER]`: the stored credentials of a registry removed from ~/.docker/config.json (or its credential helper). */
import { removeCredentials } from '../../images/registry/docker-config.js';
import { loginDomain } from '../../images/registry/login.js';
import { defineCommand } from '../command.js';

export const command = defineCommand({
  name: 'logout',
  usage: 'logout [SERVER]',
  summary: 'Log out from a registry',
  description: 'Remove the stored credentials of a registry (default: Docker Hub)',
  options: {},
  args: { min: 0, max: 1 },
  async run(_values, operands) {
    const domain = loginDomain(operands[0]);
    if (removeCredentials(domain)) process.stdout.write(`Removing login credentials for ${domain}\n`);
    else process.stdout.write(`Not logged in to ${domain}\n`);
    return 0;
  },
});
