/**
 * moby-dick-runtime: an OCI runtime with runc's command line, so that
 * containerd, Podman, CRI-O and Docker can run containers through moby-dick.
 * Global flags first, then the command; errors go to --log (JSON lines when
 * --log-format json) and to stderr, with exit status 1, as runc does.
 * Side-effect free: bin.ts runs it, snapshot.ts builds a startup snapshot of it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine } from '../cli/args.js';
import { MobyDickError } from '../errors.js';
import { OciRuntime } from '../oci/lifecycle.js';
import { DEFAULT_ROOT, StateStore } from '../oci/state.js';
import { events, pause, resume, update } from './commands/cgroup-commands.js';
import { exec } from './commands/exec.js';
import { features, list, ps, spec, state } from './commands/info.js';
import { create, kill, remove, run, start } from './commands/lifecycle.js';
import type { Command, Context, RuntimeIo } from './context.js';
import { Logger } from './log.js';
import { takeDeferredCaCerts } from '../util/deferred-ca-certs.js';
import { isRootless, userRuntimeDir } from '../rootless/rootless.js';
import { LaunchRefused } from '../helper/helper-launch.js';
import { SERVICE_START } from './compile-wire.js';

declare const MOBY_DICK_VERSION: string;
const VERSION = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';

const GLOBAL = {
  root: { type: 'string' },
  log: { type: 'string' },
  'log-format': { type: 'string' },
  debug: { type: 'boolean' },
  'systemd-cgroup': { type: 'boolean' },
  rootless: { type: 'string' },
  criu: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const notYet = (name: string): Command => () => {
  throw new MobyDickError('USAGE', `${name} is not supported`, { hint: 'checkpoint and restore need CRIU' });
};

const COMMANDS: Record<string, Command> = {
  create, start, run, state, kill, delete: remove, list, ls: list, ps, exec, spec, features,
  pause, resume, update, events,
  checkpoint: notYet('checkpoint'), restore: notYet('restore'),
};

/** `moby-dick-runtime --help`, and its man page (man-page.ts) */
export const HELP = `Usage: moby-dick-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]

An OCI runtime with runc's command line, built on moby-dick.

Commands:
  create   create a container from a bundle; it waits for start
  start    start a created container
  run      create and start a container (--detach to return at once)
  state    print a container's OCI state as JSON
  kill     send a signal (default SIGTERM) to a container's init (--all: every process)
  delete   delete a stopped or created container (--force: any)
  exec     run a new process in a container
  list     list containers (--format table|json, -q)
  ps       list a container's processes (--format json)
  pause    freeze every process of a container
  resume   thaw a paused container
  update   change a container's limits (--resources FILE|-, or --memory, --memory-swap,
           --memory-reservation, --cpu-quota, --cpu-period, --cpu-share, --cpuset-cpus,
           --cpuset-mems, --pids-limit, --blkio-weight, ... as runc's)
  events   print cgroup statistics (--stats once, or every --interval) and OOM kills
  spec     write a default config.json
  features print what this runtime supports, as JSON

create, start, run and exec take --explain[=full|json]: each step the kernel
was asked for, what it isolates and why, its man page and its time, on stderr
(a line per step or run of steps; =full: every step with its call; =json: for
tools). start explains the steps after the wait for it (a seccomp filter
loaded last, exec): those the helper reports when create had --explain or
--debug.

Global options:
  --root DIR               state directory (default ${DEFAULT_ROOT}; as an ordinary user
                           $XDG_RUNTIME_DIR/moby-dick)
  --log FILE               log to FILE
  --log-format text|json   log format (default text)
  --debug                  log each step with its duration
  --systemd-cgroup         refused: no systemd cgroup driver yet (cgroupfs is used)
  --rootless true|false|auto  auto (the default): rootless as an ordinary user; true only
                           as one, false only as root. Rootless: config.json needs a user
                           namespace (spec --rootless writes one); cgroup limits only in a
                           cgroup v2 subtree delegated to the user (the parent of its own
                           cgroup, as systemd's user@UID.service), with its controllers
  -v, --version            print the version

Environment:
  MOBY_DICK_RUNTIME_NO_FAST=1  start Node for every command (the launcher otherwise
                           answers state, start, kill, delete, pause, resume, ps
                           and list itself when it can, and has create, run and
                           exec served by a warm compile service)
  MOBY_DICK_COMPILE_IDLE_SECONDS=N  the compile service ends after N idle seconds
                           (default 30)
`;

/** --rootless: auto is what we are; true or false must agree with it. */
function checkRootlessFlag(value: string | undefined): void {
  if (value === undefined || value === 'auto') return;
  if (value !== 'true' && value !== 'false') throw new MobyDickError('USAGE', `invalid --rootless ${JSON.stringify(value)}: true, false or auto`);
  if ((value === 'true') !== isRootless()) {
    throw new MobyDickError('USAGE', value === 'true' ? '--rootless true: running as root (give config.json a user namespace instead)' : '--rootless false: not running as root', {
      hint: 'leave --rootless out (auto)',
    });
  }
}

export async function main(argv: readonly string[], io: RuntimeIo = {}): Promise<number> {
  takeDeferredCaCerts();
  let log = new Logger({ format: 'text', debug: false, stderr: io.stderr });
  try {
    const { values, operands } = parseCommandLine(argv, GLOBAL, 'moby-dick-runtime --help');
    const format = values['log-format'] ?? 'text';
    if (format !== 'text' && format !== 'json') throw new MobyDickError('USAGE', `invalid --log-format ${JSON.stringify(format)}`);
    log = new Logger({ file: values.log, format, debug: values.debug === true, stderr: io.stderr });
    if (values.version) {
      process.stdout.write(`moby-dick-runtime version ${VERSION}\nspec: 1.2.0\n`);
      return 0;
    }
    const [name, ...rest] = operands;
    if (values.help || name === undefined || name === 'help') {
      process.stdout.write(HELP);
      return name === undefined && !values.help ? 1 : 0;
    }
    if (values['systemd-cgroup']) {
      // as runc: the systemd driver needs systemd running as init
      const why = existsSync('/run/systemd/system') ? 'the systemd cgroup driver is not supported yet' : 'systemd is not running on this host (no /run/systemd/system)';
      throw new MobyDickError('USAGE', `--systemd-cgroup: ${why}`, { hint: 'leave it out to use the cgroupfs driver' });
    }
    checkRootlessFlag(values.rootless);
    const root = values.root ?? (isRootless() ? join(userRuntimeDir(), 'moby-dick') : DEFAULT_ROOT);
    if (name === SERVICE_START && io.launcher === undefined) {
      const { serveCompile } = await import('./compile-service.js');
      return await serveCompile(root, rest, main);
    }
    const command = COMMANDS[name];
    if (!command) throw new MobyDickError('USAGE', `unknown command ${JSON.stringify(name)}`, { hint: "see 'moby-dick-runtime --help'" });
    const runtime = new OciRuntime(new StateStore(root), (m) => log.warn(m), undefined, undefined, io.launcher);
    const ctx: Context = { runtime, log, debug: values.debug === true };
    log.debug(`${name} ${rest.join(' ')}`);
    return await command(ctx, rest);
  } catch (e) {
    // the compile service hands the command back to its caller, which runs it on the Node path
    if (e instanceof LaunchRefused) throw e;
    if (e instanceof MobyDickError) {
      log.error(e.message + (e.details.hint ? ` (${e.details.hint})` : ''));
    } else {
      log.error(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    return 1;
  }
}
