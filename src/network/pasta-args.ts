/**
 * A rootless container's default network through `pasta` (package passt),
 * as rootless Podman's: the container's network namespace (owned by its
 * user namespace) gets an interface with the host's address and routes,
 * and each -p is a port pasta listens on as the user and forwards inside.
 * Chosen over slirp4netns (also tried, 1.2.0): pasta takes its forwards on
 * its command line (slirp4netns needs its API socket per port), copies the
 * host's addressing as Podman 5 does. slirp4netns was quicker to a
 * configured interface here (8-10 ms against pasta's 35-110 ms). Pure.
 */
import { MobyDickError } from '../errors.js';
import type { PortBinding } from './port-spec.js';

/** pasta's port list for one protocol: "none", or "IP/HOST:CTR,..." */
function forwards(ports: readonly PortBinding[], protocol: PortBinding['protocol']): string {
  const mine = ports.filter((p) => p.protocol === protocol);
  if (!mine.length) return 'none';
  return mine.map((p) => `${p.hostIp ? `${p.hostIp}/` : ''}${p.hostPort}:${p.containerPort}`).join(',');
}

/**
 * pasta's arguments for the namespaces of process PID, forwarding PORTS
 * (host ports picked already). Nothing from the container to the host's
 * loopback: no namespace-to-host forwards (-T/-U none) and the gateway not
 * mapped to the host (--no-map-gw). It writes its pid to PID_FILE and runs
 * in the background.
 */
export function pastaArgs(pid: number, ports: readonly PortBinding[], pidFile: string): string[] {
  return [
    '--config-net', '--quiet', '--no-map-gw',
    '-P', pidFile,
    '-t', forwards(ports, 'tcp'), '-u', forwards(ports, 'udp'), '-T', 'none', '-U', 'none',
    '--userns', `/proc/${pid}/ns/user`, '--netns', `/proc/${pid}/ns/net`,
  ];
}

/**
 * -p of a rootless container: a host port below the unprivileged port
 * floor (net.ipv4.ip_unprivileged_port_start) cannot be bound by the user,
 * so it is refused in one line before anything is made.
 */
export function checkRootlessPorts(ports: readonly PortBinding[], floor: number): void {
  const low = ports.find((p) => p.hostPort !== 0 && p.hostPort < floor);
  if (!low) return;
  throw new MobyDickError('USAGE', `-p ${low.hostPort}:${low.containerPort}: host port ${low.hostPort} is below the unprivileged port floor ${floor} (rootless)`, {
    subject: String(low.hostPort),
    hint: `publish on a host port of ${floor} or above, lower net.ipv4.ip_unprivileged_port_start, or run as root`,
  });
}
