/**
 * `moby-dick [OPTIONS] COMMAND [ARG...]`: the original form. COMMAND runs in
 * its own network, mount, UTS, IPC, PID and cgroup namespaces but sees the
 * host's files, with a tmpfs on /mytmp. Like the original, it keeps the
 * caller's environment and directory and its stdin; it gets a terminal of
 * its own when ours is one, so `moby-dick /bin/bash` is a real shell.
 */
import { Command } from 'commander';
import { addRunOptions, hostEnv, mergeEnv, parseUser, type RunFlags } from '../run-options.js';
import { runInForeground } from '../foreground.js';

export function isolateCommand(): Command {
  return addRunOptions(new Command('moby-dick'))
    .usage('[OPTIONS] COMMAND [ARG...]')
    .argument('<command...>', 'the command to run isolated')
    .passThroughOptions();
}

export async function runIsolate(args: readonly string[], flags: RunFlags): Promise<number> {
  const tty = flags.tty ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  return runInForeground(
    {
      command: args,
      hostname: flags.hostname,
      env: mergeEnv(hostEnv(), flags, process.env),
      cwd: flags.workdir ?? process.cwd(),
      user: flags.user === undefined ? undefined : parseUser(flags.user),
      tty,
      interactive: true,
      init: flags.init,
    },
    flags.debug === true,
  );
}
