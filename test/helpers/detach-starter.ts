/**
 * A small starter for the monitor tests: starts one container with a
 * monitor from its own Node process, prints {"pid","monitorPid"} as one
 * line, and then either detaches and exits, or (with "stay") waits to be
 * killed. Run as `node detach-starter.js JSON`, JSON being
 * { config: ContainerConfig, monitor: MonitorOptions, stay?: boolean }.
 */
import type { ContainerConfig } from '../../src/helper/config.js';
import { startContainer } from '../../src/jail/start.js';
import type { MonitorOptions } from '../../src/helper/monitor-ops.js';

interface Request {
  config: ContainerConfig;
  monitor: MonitorOptions;
  stay?: boolean;
}

// `node --test build/tsc/` also loads the files under test/: without a request it does nothing
const request = process.argv[2] === undefined ? null : (JSON.parse(process.argv[2]) as Request);
const container = request && startContainer(request.config, { monitor: request.monitor });
if (!request || !container) {
  // nothing asked
} else if (request.stay) {
  const pid = await container.pid;
  // the monitor's pid is the parent of the container's pid 1
  const stat = (await import('node:fs')).readFileSync(`/proc/${pid}/stat`, 'utf8');
  const monitorPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  process.stdout.write(`${JSON.stringify({ pid, monitorPid })}\n`);
  setInterval(() => {}, 1000);
} else {
  try {
    const d = await container.detach();
    process.stdout.write(`${JSON.stringify(d)}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: (e as Error).message, code: (e as { code?: string }).code })}\n`);
    process.exitCode = 1;
  }
}
