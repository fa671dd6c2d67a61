/**
 * `moby-dick [OPTIONS] COMMAND [ARG...]`: the original form. COMMAND runs in
 * its own network, mount, UTS, IPC, PID and cgroup namespaces but sees the
 * host's files, with a tmpfs on /mytmp. Like the original, it keeps the
 * caller's environment and directory and its stdin; it gets a terminal of
 * its own when ours is one, so `moby-dick /bin/bash` is a real shell.
 */
import { parseCommandLine } from '../args.js';
import { runInForeground } from '../foreground.js';
import { hostEnv, mergeEnv, parseUser, RUN_OPTIONS, RUN_OPTIONS_HELP } from '../run-options.js';

export const HELP = `Usage: moby-dick [OPTIONS] COMMAND [ARG...]
       moby-dick run [OPTIONS] IMAGE [COMMAND] [ARG...]
       moby-dick run [OPTIONS] --rootfs DIR COMMAND [ARG...]

A container engine for Node.js.

The first form runs COMMAND isolated — its own network (only lo), mounts
(a tmpfs on /mytmp), hostname, IPC and PID namespace — on the host's files,
with the caller's environment, directory and stdin, and a terminal of its
own when stdin and stdout are terminals.
The second runs a container from an image (pulled when missing), as
Docker does; the third one whose root filesystem is DIR.

Commands:
  run        run a command in a new container (see 'moby-dick run --help')
  create     create a container from an image; start, stop, restart, kill,
             pause, unpause, rm, wait, rename it
  ps         list containers; logs, inspect, top, stats, attach, exec look
             into one (container prune removes the stopped ones)
  container  manage containers (all of the above: 'moby-dick container --help')
  volume     manage volumes (create, inspect, ls, prune, rm)
  network    manage networks (connect, create, disconnect, inspect, ls, prune, rm)
  port       list a container's published ports
  cp         copy files between a container and the host
  export     write a container's filesystem as a tar archive
  pull       download an image from a registry
  push       upload an image to a registry
  images     list images
  image      manage images (import, inspect, load, ls, prune, pull, push, rm, save, tag)
  tag        create a tag that refers to an image
  rmi        remove images
  load       load images from a tar archive (docker save, skopeo)
  save       save images to a tar archive
  import     import a root filesystem tarball as an image
  login      log in to a registry
  logout     log out from a registry

Options:
${RUN_OPTIONS_HELP}
  -v, --version           print the version
`;

export async function isolate(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, RUN_OPTIONS, 'moby-dick --help');
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (operands.length === 0) {
    process.stderr.write(HELP);
    return 125;
  }
  const tty = flags.tty ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  return runInForeground(
    {
      command: operands,
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
