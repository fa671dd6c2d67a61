/** `moby-dick run [OPTIONS] --rootfs DIR COMMAND [ARG...]`: a container jailed in DIR. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { MobyDickError } from '../../errors.js';
import { defaultEnv } from '../../runtime/config.js';
import { addRunOptions, mergeEnv, parseUser, type RunFlags } from '../run-options.js';
import { runInForeground } from '../foreground.js';

export interface RunCommandFlags extends RunFlags {
  rootfs?: string;
  readOnly?: boolean;
}

export function runCommand(): Command {
  return addRunOptions(new Command('run'))
    .description('run a command in a new container with DIR as its root filesystem')
    .usage('[OPTIONS] --rootfs DIR COMMAND [ARG...]')
    // checked in runRun, so that an unknown flag is reported first
    .option('--rootfs <DIR>', 'the container\'s root filesystem (pivot_root into it); required')
    .option('--read-only', 'mount the root filesystem read-only')
    .argument('<command...>', 'the command to run and its arguments')
    .passThroughOptions();
}

export async function runRun(args: readonly string[], flags: RunCommandFlags): Promise<number> {
  if (flags.rootfs === undefined) {
    throw new MobyDickError('USAGE', 'run needs --rootfs DIR (running images comes later)', {
      hint: "see 'moby-dick run --help'",
    });
  }
  const user = flags.user === undefined ? undefined : parseUser(flags.user);
  const hostname = flags.hostname ?? 'containerhostname';
  const tty = flags.tty === true;
  return runInForeground(
    {
      command: args,
      rootfs: resolve(flags.rootfs),
      hostname,
      env: mergeEnv(defaultEnv(hostname, user?.uid ?? 0, tty), flags, process.env),
      cwd: flags.workdir,
      user,
      readOnly: flags.readOnly,
      tty,
      interactive: flags.interactive === true,
      init: flags.init,
    },
    flags.debug === true,
  );
}
