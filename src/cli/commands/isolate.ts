/**
 * `moby-dick [OPTIONS] COMMAND [ARG...]`: the original form. COMMAND runs in
 * its own network, mount, UTS, IPC, PID and cgroup namespaces but sees the
 * host's files, with a tmpfs on /mytmp. Like the original, it keeps the
 * caller's environment and directory and its stdin; it gets a terminal of
 * its own when ours is one, so `moby-dick /bin/bash` is a real shell.
 */
import { parseCommandLine } from '../args.js';
import { explainRequest, runInForeground } from '../foreground.js';
import { COMMANDS } from '../registry.js';
import { hostEnv, mergeEnv, parseUser, RUN_OPTIONS, RUN_OPTIONS_HELP } from '../run-options.js';

/** `moby-dick --help`: the forms, every command of registry.ts, and the original form's options. */
export function help(): string {
  const commands = COMMANDS.filter((c) => !c.hidden).map((c) => `  ${c.name.padEnd(10)} ${c.summary}\n`).join('');
  return `Usage: moby-dick [OPTIONS] COMMAND [ARG...]
       moby-dick run [OPTIONS] IMAGE [COMMAND] [ARG...]
       moby-dick run [OPTIONS] --rootfs DIR COMMAND [ARG...]

A container engine for Node.js.

The first form runs COMMAND isolated — its own network (only lo), mounts
(a tmpfs on /mytmp), hostname, IPC and PID namespace — on the host's files,
with the caller's environment, directory and stdin, and a terminal of its
own when stdin and stdout are terminals.
The second runs a container from an image (pulled when missing), as
Docker does; the third one whose root filesystem is DIR.
As an ordinary user all three are rootless: a user namespace where you are
root, with your /etc/subuid and /etc/subgid ranges (through
newuidmap/newgidmap); the third gets a cgroup only where a cgroup v2
subtree is delegated to you; images go to $XDG_DATA_HOME/moby-dick, and
containers from them get a network through pasta, host or none.
A Docker command moby-dick does not have (swarm, init, ...) and a typo of
one of the commands below are refused; \`moby-dick -- COMMAND\` runs the
host program COMMAND whatever its name.

Commands:
${commands}
Options:
${RUN_OPTIONS_HELP}
  -v, --version           print the version
`;
}

export async function isolate(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, RUN_OPTIONS, 'moby-dick --help');
  if (flags.help) {
    process.stdout.write(help());
    return 0;
  }
  if (operands.length === 0) {
    process.stderr.write(help());
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
    explainRequest('original form', flags.explain),
  );
}
