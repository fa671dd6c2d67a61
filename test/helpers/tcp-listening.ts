/** Whether a TCP port of this machine is being listened on, from /proc/net/tcp and tcp6 (a published port left open is a leak). */
import { readFileSync } from 'node:fs';

/** Whether something listens on TCP PORT (any address) in this network namespace. */
export function listening(port: number): boolean {
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((f) =>
    readFileSync(f, 'utf8').split('\n').slice(1).some((l) => {
      const x = l.trim().split(/\s+/);
      return x[3] === '0A' && parseInt(x[1]?.split(':')[1] ?? '', 16) === port;
    }),
  );
}
