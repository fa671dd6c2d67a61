/**
 * Which requests the compile service serves (compile-service.ts): only
 * those whose outcome cannot depend on being run in the service instead of
 * a Node process of the caller's own. The service shares one process among
 * callers, so what is per process there (the cwd, the umask, the
 * environment) must not matter or must be the caller's already:
 *
 * - the same build (the stamp): a rebuilt runtime never talks to an old service
 * - `create`, `run` (foreground or --detach) or `exec` (foreground or
 *   --detach), with runc's flags only, every path absolute (nothing
 *   resolves against the service's cwd), no --debug or --explain (which log
 *   before a refusal could hand the command back). In the foreground the
 *   caller's launcher passes its signals on as frames (compile-wire.ts)
 * - the caller's umask and MOBY_DICK_* environment equal to the service's
 * - the caller in the service's namespaces and root: the plan reads the
 *   mount table, the helper reports pids as its pid namespace sees them,
 *   cgroup paths are as the cgroup namespace shows them
 *
 * Anything else is refused, and the launcher runs the command on the Node
 * path instead. Pure: compile-request.test.ts.
 */
import { parseArgs } from 'node:util';
import { parseCommandLine } from '../cli/args.js';
import { EXEC_FLAGS, EXEC_HELP } from './commands/exec.js';
import { CREATE_FLAGS, RUN_FLAGS } from './commands/lifecycle.js';
import { SERVICE_COMMAND, SERVICE_ENV_PREFIX, SERVICE_EXEC, SERVICE_RUN, SERVICE_STAMP_ENV, type ServiceRequest } from './compile-wire.js';

/** What the service is: its build and what it shares among requests. */
export interface ServiceSelf {
  stamp: string;
  umask: number;
  env: Record<string, string | undefined>;
}

const GLOBAL = { root: { type: 'string' }, log: { type: 'string' }, 'log-format': { type: 'string' } } as const;

/** The environment a request is compared on: MOBY_DICK_*, but the stamp (which the service was started with). */
function runtimeEnv(env: Record<string, string | undefined>): Map<string, string> {
  return new Map(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith(SERVICE_ENV_PREFIX) && e[0] !== SERVICE_STAMP_ENV && e[1] !== undefined),
  );
}

/** exec's flags as the service takes them: runc's (--explain logs before a refusal could hand the command back) */
const { explain: _explain, ...EXEC } = EXEC_FLAGS;

/** Why the command line ARGV is not one the service runs, or undefined when it is. */
export function commandRefusal(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((a) => a === SERVICE_COMMAND || a === SERVICE_EXEC || a === SERVICE_RUN);
  if (at < 0) return `not ${SERVICE_COMMAND}, ${SERVICE_RUN} or ${SERVICE_EXEC}`;
  const name = argv[at];
  let global, values: { bundle?: string; process?: string; 'pid-file'?: string; 'console-socket'?: string };
  try {
    global = parseArgs({ args: argv.slice(0, at), options: GLOBAL, strict: true, allowPositionals: false });
    if (name === SERVICE_EXEC) {
      // as exec.ts reads it: flags up to the id, the command after it
      const command = parseCommandLine(argv.slice(at + 1), EXEC, EXEC_HELP);
      if (command.operands.length === 0) return 'no container id';
      values = command.values;
    } else {
      const command = parseArgs({ args: argv.slice(at + 1), options: name === SERVICE_RUN ? RUN_FLAGS : CREATE_FLAGS, strict: true, allowPositionals: true });
      if (command.positionals.length !== 1) return 'not exactly one container id';
      values = command.values;
      if (values.bundle === undefined) return 'no --bundle (the bundle would be the cwd)';
    }
  } catch (e) {
    return `flags the service does not take (${(e as Error).message})`;
  }
  const paths = { '--root': global.values.root, '--log': global.values.log, '--bundle': values.bundle, '--process': values.process, '--pid-file': values['pid-file'], '--console-socket': values['console-socket'] };
  for (const [flag, path] of Object.entries(paths)) {
    if (path !== undefined && !path.startsWith('/')) return `${flag} is a relative path`;
  }
  return undefined;
}

/** Why REQUEST is not one this service SELF runs, or undefined when it is. */
export function requestRefusal(request: ServiceRequest, self: ServiceSelf): string | undefined {
  if (request.stamp !== self.stamp) return 'the service is of another build';
  if (request.umask !== self.umask) return 'another umask';
  const theirs = runtimeEnv(request.env);
  const ours = runtimeEnv(self.env);
  for (const name of new Set([...theirs.keys(), ...ours.keys()])) {
    if (theirs.get(name) !== ours.get(name)) return `another ${name}`;
  }
  return commandRefusal(request.argv);
}

/** the namespaces a caller must share with the service */
export const SHARED_NAMESPACES = ['mnt', 'pid', 'cgroup', 'user', 'net', 'ipc', 'uts'] as const;

/**
 * Why a caller whose namespaces and root are THEIRS (readlink of
 * /proc/PID/ns/NAME, and "DEV:INO" of /proc/PID/root under 'root') may not
 * be served by a service whose own are OURS, or undefined when it may.
 */
export function namespaceRefusal(theirs: Record<string, string | undefined>, ours: Record<string, string | undefined>): string | undefined {
  for (const name of [...SHARED_NAMESPACES, 'root']) {
    if (theirs[name] === undefined || theirs[name] !== ours[name]) return `another ${name === 'root' ? 'root directory' : `${name} namespace`}`;
  }
  return undefined;
}
