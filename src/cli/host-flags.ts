/**
 * The values of run's host flags, parsed as Docker's CLI parses them:
 * `--device HOST[:CONTAINER[:PERMS]]`, `--sysctl KEY=VALUE`,
 * `-a stdin|stdout|stderr`, `--log-driver`. Pure; errors are exit 125.
 * (Which sysctls and namespace modes are allowed is the engine's to say:
 * the Engine API's create asks it too.)
 */
import { posix } from 'node:path';
import type { LogDriver } from '../engine/container-table.js';
import { MobyDickError } from '../errors.js';
import type { DeviceMapping } from '../spec/spec-builder.js';

function bad(message: string, hint: string): MobyDickError {
  return new MobyDickError('USAGE', message, { hint });
}

const DEVICE_MODE = /^(?!.*(.).*\1)[rwm]{1,3}$/;

/** --device HOST[:CONTAINER][:PERMS]: CONTAINER defaults to HOST, PERMS (r, w, m) to rwm. */
export function parseDevice(spec: string): DeviceMapping {
  const parts = spec.split(':');
  const hint = 'give --device HOST[:CONTAINER][:PERMS], e.g. /dev/fuse or /dev/sdb:/dev/xvdc:r';
  if (parts.length > 3 || parts.some((p) => p === '')) throw bad(`invalid device specification: ${spec}`, hint);
  const [host, second, third] = parts as [string, string?, string?];
  let container = host;
  let perms = 'rwm';
  if (third !== undefined) {
    if (!DEVICE_MODE.test(third)) throw bad(`invalid device mode: ${third}`, hint);
    container = second!;
    perms = third;
  } else if (second !== undefined) {
    if (DEVICE_MODE.test(second)) perms = second;
    else container = second;
  }
  for (const p of [host, container]) if (!p.startsWith('/')) throw bad(`${p} is not an absolute path`, hint);
  return { pathOnHost: posix.normalize(host), pathInContainer: posix.normalize(container), cgroupPermissions: perms };
}

/** --sysctl KEY=VALUE (repeatable; a later KEY replaces an earlier one). */
export function parseSysctls(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw bad(`invalid argument "${s}" for "--sysctl" flag: sysctl '${s}' is not allowed`, 'give --sysctl KEY=VALUE, e.g. net.ipv4.ip_forward=1');
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

export type Stream = 'stdin' | 'stdout' | 'stderr';

/** -a stdin|stdout|stderr (repeatable, any case); none given: stdout and stderr, and stdin with -i, as Docker. */
export function parseAttach(specs: readonly string[], interactive: boolean): Set<Stream> {
  const out = new Set<Stream>();
  for (const s of specs) {
    const v = s.toLowerCase();
    if (v !== 'stdin' && v !== 'stdout' && v !== 'stderr') {
      throw bad(`invalid argument "${s}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`, 'give -a stdin, -a stdout or -a stderr');
    }
    out.add(v);
  }
  if (specs.length === 0) {
    out.add('stdout');
    out.add('stderr');
  }
  if (interactive) out.add('stdin');
  return out;
}

/** --log-driver json-file|none (the drivers moby-dick has). */
export function parseLogDriver(text: string): LogDriver {
  if (text === 'json-file' || text === 'none') return text;
  throw bad(`failed to create task for container: logger: no log driver named '${text}' is registered`, 'moby-dick has the json-file (default) and none log drivers');
}
