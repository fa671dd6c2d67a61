/** `moby-dick run [OPTIONS] --rootfs DIR COMMAND [ARG...]`: a container jailed in DIR. */
import { resolve } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { DEFAULT_HOSTNAME, defaultEnv } from '../../runtime/config.js';
import { parseCommandLine } from '../args.js';
import { runInForeground } from '../foreground.js';
import { mergeEnv, parseUser, RUN_OPTIONS, RUN_OPTIONS_HELP } from '../run-options.js';

const OPTIONS = {
  ...RUN_OPTIONS,
  rootfs: { type: 'string' },
  'read-only': { type: 'boolean' },
} as const;

export const RUN_HELP = `Usage: moby-dick run [OPTIONS] --rootfs DIR COMMAND [ARG...]

Run COMMAND in a new container with DIR as its root filesystem (pivot_root),
its own namespaces, a minimal /dev, /proc, read-only /sys, and Docker's
default capabilities and masked paths.

Options:
      --rootfs DIR        the container's root filesystem (required)
      --read-only         mount the root filesystem read-only
${RUN_OPTIONS_HELP}
`;

const HINT = "see 'moby-dick run --help'";

export async function run(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick run --help');
  if (flags.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (flags.rootfs === undefined) {
    throw new MobyDickError('USAGE', 'run needs --rootfs DIR (running images comes later)', { hint: HINT });
  }
  if (operands.length === 0) {
    throw new MobyDickError('USAGE', '"moby-dick run" requires a command to run', { hint: HINT });
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
  );
}
