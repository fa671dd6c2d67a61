/**
 * `moby-dick system service [--host unix:///PATH] [--timeout SECONDS] [--group G] [--ip ADDRESS]`:
 * the Docker Engine API on a unix socket (src/api/), over the same engine
 * and store as the CLI's commands, for the docker CLI, Compose and the SDKs.
 */
import { isIP } from 'node:net';
import { DEFAULT_HOST, runService } from '../../api/service.js';
import { MobyDickError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { selfCommand } from '../self-command.js';

declare const MOBY_DICK_VERSION: string;

const DESCRIPTION = `Serve the Docker Engine API (version 1.43, from 1.24) on a unix socket, for the docker CLI, Compose and the SDKs (DOCKER_HOST=unix://PATH)

Options:
  -H, --host URI          where to listen (default ${DEFAULT_HOST}); tcp:// is refused
  -t, --timeout SECONDS   end after this long without a connection (default 5; 0: never)
      --group GROUP       the socket's group (read and write); root's only by default
      --ip ADDRESS        the host address of a published port that names none
                          (dockerd's --ip; default every address), e.g. 127.0.0.1

Containers keep running when the service ends; the next service finds them.`;

export const command = defineCommand({
  name: 'system service',
  usage: 'system service [OPTIONS]',
  summary: 'Serve the Docker Engine API on a unix socket',
  description: DESCRIPTION,
  options: {
    host: { type: 'string', short: 'H' },
    timeout: { type: 'string', short: 't' },
    group: { type: 'string' },
    ip: { type: 'string' },
  },
  args: { min: 0, max: 0 },
  async run(values) {
    const timeout = Number(values.timeout ?? '5');
    if (!Number.isFinite(timeout) || timeout < 0) throw new MobyDickError('USAGE', `invalid --timeout ${values.timeout}: give seconds, 0 for none`, { subject: String(values.timeout) });
    if (values.ip !== undefined && isIP(values.ip) !== 4) throw new MobyDickError('USAGE', `invalid --ip ${values.ip}: give an IPv4 address`, { subject: values.ip, hint: 'e.g. --ip 127.0.0.1' });
    const version = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';
    await withEngine((engine) =>
      runService({
        engine,
        host: values.host ?? DEFAULT_HOST,
        timeout,
        ...(values.group !== undefined ? { group: values.group } : {}),
        ...(values.ip !== undefined ? { hostIp: values.ip } : {}),
        serverVersion: version,
        selfCommand: selfCommand(),
        log: (line) => process.stderr.write(`moby-dick system service: ${line}\n`),
        onListening: (path) => process.stderr.write(`moby-dick system service: API listening on ${path}\n`),
      }),
    );
    return 0;
  },
});
