/** `moby-dick commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]`: a container's changes as a new image. */
import { commitContainer } from '../../build/container-commit.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';

const OPTIONS = {
  author: { type: 'string', short: 'a' },
  change: { type: 'string', short: 'c', multiple: true },
  message: { type: 'string', short: 'm' },
  pause: { type: 'string', short: 'p' },
} as const;

export const command = defineCommand({
  name: 'commit',
  usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  summary: "Create a new image from a container's changes",
  description: `Create a new image from a container's changes

Options:
  -a, --author AUTHOR     the image's author ("Name <email>")
  -c, --change LINE       a Dockerfile instruction for the image's config (CMD,
                          ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME,
                          WORKDIR, STOPSIGNAL, HEALTHCHECK); more than once for more
  -m, --message TEXT      the commit message (the history entry's comment)
  -p, --pause=BOOL        pause a running container while committing (default true)

The new image is the container's image with one more layer: what the
container changed. Its config is the container's own (Cmd, Entrypoint,
Env, WorkingDir, User, Labels, ExposedPorts as it was created), with
--change on top. Prints the image's ID.

As an ordinary user (rootless) the changes are read in your user
namespace, with the owners seen inside; a running container that cannot
be paused (no delegated cgroup) needs --pause=false.`,
  options: OPTIONS,
  args: { min: 1, max: 2 },
  // --pause=false is Go's boolean flag form; a bare --pause or -p is true
  rewriteArgv: (argv) => argv.map((a) => (a === '--pause' || a === '-p' ? '--pause=true' : a)),
  async run(flags, operands) {
    const [container, reference] = operands as [string, string | undefined];
    const id = await withEngine((engine) =>
      commitContainer(engine, container, {
        ...(reference !== undefined ? { reference } : {}),
        ...(flags.message !== undefined ? { message: flags.message } : {}),
        ...(flags.author !== undefined ? { author: flags.author } : {}),
        changes: flags.change ?? [],
        // an ordinary user's container: its layer read in the user namespace (container-commit.ts)
        pause: flags.pause === undefined || flags.pause === 'true',
      }),
    );
    process.stdout.write(`${id}\n`);
    return 0;
  },
});
