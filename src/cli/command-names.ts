/**
 * The CLI's first words by where they run, derived from registry.ts: which
 * load the images bundle, and which command lines start from the CLI's
 * startup snapshot (cli/snapshot.ts). scripts/bundle.mjs writes the latter
 * next to the snapshot, into the stamp the launcher reads (native/launcher).
 * Loading the snapshot costs about 10 ms of CPU more than Node's own start
 * here; it pays off (about 35 ms less) only where the image and container
 * code runs, so the original form, `run --rootfs`, `--version` and `help`
 * start from the small bundle as before.
 */
import { COMMANDS } from './registry.js';

/**
 * The image and container commands live in a bundle of their own (with
 * SQLite), loaded when one runs. A host program of one of these names runs
 * in the original form after `--` (`moby-dick -- ps`).
 */
export const IMAGE_COMMAND_NAMES: ReadonlySet<string> = new Set(COMMANDS.filter((c) => c.bundle === 'images').map((c) => c.name));

/** The first words of the commands that start from the snapshot. */
export const SNAPSHOT_COMMANDS: readonly string[] = COMMANDS.filter((c) => c.snapshot).map((c) => c.name);

/** Options after which a command starts from the bundle even so: `run --rootfs DIR` is the jail, without images. */
export const SNAPSHOT_EXCEPT_OPTIONS: readonly string[] = ['--rootfs'];
