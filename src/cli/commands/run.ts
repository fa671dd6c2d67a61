/**
 * `moby-dick run [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container from an
 * image (the engine: run-image.ts, in the lazily loaded images bundle), or
 * with `--rootfs DIR COMMAND [ARG...]` a container jailed in DIR.
 */
import { resolve } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { DEFAULT_HOSTNAME, defaultEnv } from '../../helper/config.js';
import { defineCommand } from '../command.js';
import { explainRequest, runInForeground } from '../foreground.js';
import { CREATE_OPTIONS, CREATE_OPTIONS_HELP, type CreateFlags } from '../create-options.js';
import { mergeEnv, parseUser, RUN_OPTIONS, RUN_OPTIONS_HELP } from '../run-options.js';

const DESCRIPTION = `Run a command in a new container: its own namespaces, a minimal /dev,
/proc, read-only /sys, and Docker's default capabilities and masked paths.
From IMAGE (pulled when missing), the root filesystem is the image's layers
with a writable layer of the container's own on top, and the image's
Entrypoint, Cmd, Env, WorkingDir and User apply; with --rootfs, DIR is the
root filesystem (pivot_root). As an ordinary user a container is rootless:
in a user namespace with your /etc/subuid range, no cgroup (no limits), and
from an image on its own network through pasta (-p forwarded by it),
--network host (the host's /sys read-only) or none; no user networks.

Options:
      --rootfs DIR          use DIR as the root filesystem instead of an image
                            (in the foreground; the options below are for images;
                            as an ordinary user: rootless, in a user namespace)
${CREATE_OPTIONS_HELP}
${RUN_OPTIONS_HELP}`;

const HINT = "see 'moby-dick run --help'";

/** The flags of image containers that a --rootfs run (the jail) has no use for. */
const IMAGE_ONLY = Object.keys(CREATE_OPTIONS).filter((k) => !(k in RUN_OPTIONS) && k !== 'rootfs' && k !== 'read-only');

export const command = defineCommand({
  name: 'run',
  usage: ['run [OPTIONS] IMAGE [COMMAND] [ARG...]', 'run [OPTIONS] --rootfs DIR COMMAND [ARG...]'],
  summary: 'Create and run a new container from an image',
  description: DESCRIPTION,
  examples: `# a shell in a throw-away busybox container
moby-dick run --rm -it busybox sh
# a web server in the background, its port 80 on the host's 8080
moby-dick run -d --name web -p 8080:80 nginx
# a root filesystem of your own, without an image
moby-dick run --rm --rootfs ./rootfs /bin/sh -c 'echo hi'`,
  options: CREATE_OPTIONS,
  trailingCommand: true,
  runExitCodes: true,
  // what is missing depends on the form: said below, and by createRequest
  args: { min: 0 },
  run,
});

/**
 * Whether our stdin is a terminal. isatty, not process.stdin.isTTY: opening
 * process.stdin on a pipe makes it non-blocking, for the jail's program
 * too; node:tty loaded when asked, as the CLI's startup snapshot cannot
 * hold it (cli/snapshot.ts)
 */
export function stdinIsTty(): boolean {
  return process.getBuiltinModule('node:tty').isatty(0);
}

/**
 * Docker's check (CheckTty): -i and -t want a terminal to read from; without
 * one, refuse rather than hang. STDIN_IS_TTY is asked only then: loading
 * node:tty cost every `run --rootfs` about 1.7 ms (it loads node:net).
 */
export function checkTty(interactive: boolean, tty: boolean, stdinIsTty: () => boolean): void {
  if (interactive && tty && !stdinIsTty()) {
    throw new MobyDickError('USAGE', 'the input device is not a TTY', { hint: 'leave out -t, or run from a terminal' }, 1);
  }
}

async function run(flags: CreateFlags, operands: readonly string[]): Promise<number> {
  if (flags.detach !== true) checkTty(flags.interactive === true, flags.tty === true, stdinIsTty);
  if (flags.rootfs === undefined) {
    // the images bundle (scripts/bundle.mjs)
    const { runFromImage } = await import('../run-image.js');
    return runFromImage(flags, operands);
  }
  if (operands.length === 0) {
    throw new MobyDickError('USAGE', '"moby-dick run" requires a command to run', { hint: HINT });
  }
  // the jail runs in the foreground with only lo: an image container's flag would be silently lost
  const imageOnly = IMAGE_ONLY.find((k) => (flags as Record<string, unknown>)[k] !== undefined && !(k === 'network' && flags.network === 'none'));
  if (imageOnly) {
    throw new MobyDickError('USAGE', `--${imageOnly} is for containers from an image; with --rootfs the container runs in the foreground, with only lo`, { hint: HINT });
  }
  const user = flags.user === undefined ? undefined : parseUser(flags.user);
  const hostname = flags.hostname ?? DEFAULT_HOSTNAME;
  const tty = flags.tty === true;
  return runInForeground(
    {
      command: operands,
      rootfs: resolve(flags.rootfs),
      hostname,
      env: mergeEnv(defaultEnv(hostname, user?.uid ?? 0, tty), flags, process.env),
      cwd: flags.workdir,
      user,
      readOnly: flags['read-only'],
      tty,
      interactive: flags.interactive === true,
      init: flags.init,
    },
    flags.debug === true,
    explainRequest('run --rootfs', flags.explain),
  );
}
