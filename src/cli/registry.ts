/**
 * Every command of the CLI, once: main.ts dispatches from this list,
 * `moby-dick --help` lists it, and command-names.ts derives from it which
 * first words start from the startup snapshot (the launcher's stamp). A
 * first word that is not here runs a host program (the original form).
 *
 * Only light data and a loader per command (`run`, the small bundle's, is
 * imported here): the image and container commands (bundle 'images') live
 * in a bundle of their own with SQLite, required when one runs;
 * scripts/bundle.mjs reads this list to build it, and routes these loaders
 * there from the small bundle. Each command is a file of commands/
 * exporting `command` (command.ts's defineCommand).
 */
import type { CommandModule } from './command.js';
import { listCommands } from './command-list.js';
// the small bundle's one command, imported as before: its code is evaluated
// at every start anyway (a lazy import() here made the bundler wrap it and
// everything it imports in lazy initialisers, about 0.5 ms more per start)
import * as runModule from './commands/run.js';

export interface CommandEntry {
  /** the first word */
  readonly name: string;
  /** as the list of `moby-dick --help` shows it; the command's own summary (a unit test checks) */
  readonly summary: string;
  /** 'small': in the CLI's own bundle; 'images': in the images bundle (engine, store, SQLite) */
  readonly bundle: 'small' | 'images';
  /**
   * starts from the CLI's startup snapshot (cli/snapshot.ts); when false the
   * command's code is left out of the snapshot, whose every start pays for
   * what it holds, and the command starts from the bundles
   */
  readonly snapshot: boolean;
  /** not for users: not listed by --help */
  readonly hidden?: boolean;
  readonly load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'Create and run a new container from an image', bundle: 'small', snapshot: true, load: async () => runModule },
  { name: 'pull', summary: 'Download an image from a registry', bundle: 'images', snapshot: true, load: () => import('./commands/pull.js') },
  { name: 'push', summary: 'Upload an image to a registry', bundle: 'images', snapshot: true, load: () => import('./commands/push.js') },
  { name: 'images', summary: 'List images', bundle: 'images', snapshot: true, load: () => import('./commands/images.js') },
  { name: 'image', summary: 'Manage images', bundle: 'images', snapshot: true, load: () => import('./commands/image-group.js') },
  { name: 'tag', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', bundle: 'images', snapshot: true, load: () => import('./commands/tag.js') },
  { name: 'rmi', summary: 'Remove one or more images', bundle: 'images', snapshot: true, load: () => import('./commands/rmi.js') },
  { name: 'login', summary: 'Log in to a registry', bundle: 'images', snapshot: true, load: () => import('./commands/login.js') },
  { name: 'logout', summary: 'Log out from a registry', bundle: 'images', snapshot: true, load: () => import('./commands/logout.js') },
  { name: 'load', summary: 'Load images from a tar archive or STDIN', bundle: 'images', snapshot: true, load: () => import('./commands/load.js') },
  { name: 'save', summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', bundle: 'images', snapshot: true, load: () => import('./commands/save.js') },
  { name: 'import', summary: 'Import the contents from a tarball to create a filesystem image', bundle: 'images', snapshot: true, load: () => import('./commands/import.js') },
  { name: 'create', summary: 'Create a new container', bundle: 'images', snapshot: true, load: () => import('./commands/container-create.js') },
  { name: 'start', summary: 'Start one or more stopped containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-start.js') },
  { name: 'ps', summary: 'List containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-ps.js') },
  { name: 'events', summary: 'Get real time events from the server', bundle: 'images', snapshot: true, load: () => import('./commands/events.js') },
  { name: 'version', summary: 'Show the moby-dick version information', bundle: 'images', snapshot: true, load: () => import('./commands/version.js') },
  { name: 'info', summary: 'Display system-wide information', bundle: 'images', snapshot: true, load: () => import('./commands/info.js') },
  { name: 'logs', summary: 'Fetch the logs of a container', bundle: 'images', snapshot: true, load: () => import('./commands/container-logs.js') },
  { name: 'stop', summary: 'Stop one or more running containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-stop.js') },
  { name: 'kill', summary: 'Kill one or more running containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-kill.js') },
  { name: 'rm', summary: 'Remove one or more containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-rm.js') },
  { name: 'wait', summary: 'Block until one or more containers stop, then print their exit codes', bundle: 'images', snapshot: true, load: () => import('./commands/container-wait.js') },
  { name: 'inspect', summary: 'Return low-level information on moby-dick objects', bundle: 'images', snapshot: true, load: () => import('./commands/inspect.js') },
  { name: 'exec', summary: 'Run a command in a running container', bundle: 'images', snapshot: true, load: () => import('./commands/container-exec.js') },
  { name: 'container-exited', summary: "Run by a container's monitor when the container has ended", bundle: 'images', snapshot: true, hidden: true, load: () => import('./commands/container-exited.js') },
  { name: 'container-health', summary: "Run by a container's monitor for each health check", bundle: 'images', snapshot: true, hidden: true, load: () => import('./commands/container-health.js') },
  { name: 'rootless-unpack', summary: 'Run by a rootless image store to unpack a layer in the user namespace', bundle: 'images', snapshot: false, hidden: true, load: () => import('./commands/rootless-unpack.js') },
  { name: 'rootless-export', summary: 'Run by a rootless export to write a container\'s files as a tar in the user namespace', bundle: 'images', snapshot: false, hidden: true, load: () => import('./commands/rootless-export.js') },
  { name: 'rootless-cp', summary: "Run by an ordinary user's cp to copy a container's files in the user namespace", bundle: 'images', snapshot: false, hidden: true, load: () => import('./commands/rootless-cp.js') },
  { name: 'rootless-layer', summary: "Run by an ordinary user's diff and commit to read a container's changes in the user namespace", bundle: 'images', snapshot: false, hidden: true, load: () => import('./commands/rootless-layer.js') },
  { name: 'rootless-build-step', summary: "Run by an ordinary user's build to write a step's files in the user namespace", bundle: 'images', snapshot: false, hidden: true, load: () => import('./commands/rootless-build-step.js') },
  { name: 'rootless-remove', summary: 'Run by a rootless image store to remove a layer in the user namespace', bundle: 'images', snapshot: false, hidden: true, load: () => import('./commands/rootless-remove.js') },
  { name: 'attach', summary: 'Attach local standard input, output, and error streams to a running container', bundle: 'images', snapshot: true, load: () => import('./commands/container-attach.js') },
  { name: 'restart', summary: 'Restart one or more containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-restart.js') },
  { name: 'pause', summary: 'Pause all processes within one or more containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-pause.js') },
  { name: 'unpause', summary: 'Unpause all processes within one or more containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-unpause.js') },
  { name: 'explain', summary: 'Show what isolation a running container has, read from the kernel', bundle: 'images', snapshot: true, load: () => import('./commands/explain.js') },
  { name: 'top', summary: 'Display the running processes of a container', bundle: 'images', snapshot: true, load: () => import('./commands/container-top.js') },
  { name: 'stats', summary: "Display a live stream of container(s) resource usage statistics", bundle: 'images', snapshot: true, load: () => import('./commands/container-stats.js') },
  { name: 'rename', summary: 'Rename a container', bundle: 'images', snapshot: true, load: () => import('./commands/container-rename.js') },
  { name: 'update', summary: 'Update configuration of one or more containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-update.js') },
  { name: 'container', summary: 'Manage containers', bundle: 'images', snapshot: true, load: () => import('./commands/container-group.js') },
  { name: 'volume', summary: 'Manage volumes', bundle: 'images', snapshot: true, load: () => import('./commands/volume.js') },
  { name: 'cp', summary: 'Copy files/folders between a container and the local filesystem', bundle: 'images', snapshot: true, load: () => import('./commands/container-cp.js') },
  { name: 'export', summary: "Export a container's filesystem as a tar archive", bundle: 'images', snapshot: true, load: () => import('./commands/container-export.js') },
  { name: 'port', summary: 'List port mappings or a specific mapping for the container', bundle: 'images', snapshot: true, load: () => import('./commands/container-port.js') },
  { name: 'build', summary: 'Build an image from a Dockerfile', bundle: 'images', snapshot: true, load: () => import('./commands/build.js') },
  { name: 'commit', summary: "Create a new image from a container's changes", bundle: 'images', snapshot: true, load: () => import('./commands/commit.js') },
  { name: 'diff', summary: "Inspect changes to files or directories on a container's filesystem", bundle: 'images', snapshot: true, load: () => import('./commands/diff.js') },
  { name: 'history', summary: 'Show the history of an image', bundle: 'images', snapshot: true, load: () => import('./commands/history.js') },
  { name: 'network', summary: 'Manage networks', bundle: 'images', snapshot: true, load: () => import('./commands/network.js') },
  // not in the snapshot: the API server made every snapshot start about 1.5 MB and 5 ms of CPU heavier
  { name: 'system', summary: 'Manage moby-dick', bundle: 'images', snapshot: false, load: () => import('./commands/system.js') },
  // run once, when a shell sets completion up: it loads every command's module to read their options
  { name: 'completion', summary: 'Generate the autocompletion script for the specified shell', bundle: 'small', snapshot: false, load: () => import('./commands/completion.js') },
];
// for `completion`, which reads every command's options (a command file importing the registry would be a cycle)
listCommands(COMMANDS);

/** The command whose first word is NAME. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
