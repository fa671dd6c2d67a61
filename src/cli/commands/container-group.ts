/** `moby-dick container COMMAND`: the container commands under one name, as Docker's `docker container ...`. */
import { MobyDickError } from '../../errors.js';
import { help, type Command } from './engine-command.js';

const HELP = `Usage: moby-dick container COMMAND

Manage containers

Commands:
  attach      Attach local standard input, output, and error streams to a running container
  create      Create a new container
  exec        Run a command in a running container
  inspect     Display detailed information on one or more containers
  kill        Kill one or more running containers
  logs        Fetch the logs of a container
  ls          List containers
  pause       Pause all processes within one or more containers
  port        List port mappings or a specific mapping for the container
  prune       Remove all stopped containers
  rename      Rename a container
  restart     Restart one or more containers
  rm          Remove one or more containers
  run         Create and run a new container from an image
  start       Start one or more stopped containers
  stats       Display a live stream of container(s) resource usage statistics
  stop        Stop one or more running containers
  top         Display the running processes of a container
  unpause     Unpause all processes within one or more containers
  wait        Block until one or more containers stop, then print their exit codes
`;

const LISTED = new Set(HELP.split('\n').flatMap((l) => /^ {2}([a-z]+) /.exec(l)?.[1] ?? []));
const ALIASES: Record<string, string> = { ls: 'ps', list: 'ps', remove: 'rm' };

/** COMMANDS: the top-level container commands (and `prune`); `container X` runs them. */
export function containerGroup(commands: Record<string, Command>): Command {
  return async (argv) => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === 'help') return help(HELP);
    const name = ALIASES[sub] ?? sub;
    const listed = name === 'ps' || LISTED.has(name);
    const cmd = !listed ? undefined : name === 'run' ? (await import('./run.js')).run : commands[name];
    if (!cmd) throw new MobyDickError('USAGE', `unknown command "${sub}" for "moby-dick container"`, { hint: "see 'moby-dick container --help'" });
    return cmd(rest);
  };
}
