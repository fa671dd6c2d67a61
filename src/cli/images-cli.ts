/**
 * The image commands, as one table. main.ts loads this module only when one
 * of them runs (the bundle keeps it in a file of its own, with SQLite), so
 * `run` and the original form start as fast as before.
 */
import { imageInspect } from './commands/image-inspect.js';
import { imagePrune } from './commands/image-prune.js';
import { images } from './commands/images.js';
import { importCommand } from './commands/import.js';
import { load } from './commands/load.js';
import { login, logout } from './commands/login.js';
import { pull } from './commands/pull.js';
import { push } from './commands/push.js';
import { rmi } from './commands/rmi.js';
import { save } from './commands/save.js';
import { tag } from './commands/tag.js';
import { CONTAINER_COMMANDS } from './commands/containers.js';
import { type Command, commandGroup } from './commands/engine-command.js';
export { runFromImage } from './commands/containers.js';


const IMAGE_HELP = `Usage: moby-dick image COMMAND

Manage images

Commands:
  import      Import the contents from a tarball to create a filesystem image
  inspect     Display detailed information on one or more images
  load        Load images from a tar archive or STDIN
  ls          List images
  prune       Remove unused images
  pull        Download an image from a registry
  push        Upload an image to a registry
  rm          Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
`;

const IMAGE_SUBCOMMANDS: Record<string, Command> = {
  import: importCommand,
  inspect: imageInspect,
  load,
  ls: images,
  list: images,
  prune: imagePrune,
  pull,
  push,
  rm: rmi,
  remove: rmi,
  save,
  tag,
};

const image = commandGroup('image', IMAGE_HELP, IMAGE_SUBCOMMANDS);

export const IMAGE_COMMANDS: Record<string, Command> = {
  pull, push, images, image, tag, rmi, login, logout, load, save, import: importCommand, ...CONTAINER_COMMANDS,
};
