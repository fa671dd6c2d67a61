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

/** Node options for the command lines that begin with WORDS, from snapshot or bundle alike. */
export interface CommandNodeOptions {
  words: readonly string[];
  options: readonly string[];
}

/**
 * scripts/snapshot.mjs writes these into the stamp as `options WORD...
 * --OPTION...` lines; the launcher passes the options to Node for a
 * command line that begins with the words (up to 4 lines of up to 4 words
 * and 4 options each). The API service, long-running: V8 grows the young
 * generation's semi-spaces with the allocation rate (up to 16 MiB each,
 * committed and never given back), which made most of its growth from 60
 * MiB idle to about 110 MiB after 6-10k requests; with 1 MiB it stayed
 * under 80 MiB at 6k for the same CPU (bench/README.md, "The API
 * service's memory"). --heap-growing-percent=20: the old generation's next
 * collection at 1.2 times what lived after the last (at least 8 MiB more,
 * V8's floor) instead of up to 4 times, which V8 allows a machine with
 * this much memory: the old space stays near 14 MiB under load instead of
 * growing to 20 and more. --expose-gc: the service collects its heap
 * once idle (helper/release-memory.ts releaseHeap). The short-lived
 * commands keep V8's defaults.
 */
export const COMMAND_NODE_OPTIONS: readonly CommandNodeOptions[] = [{ words: ['system', 'service'], options: ['--max-semi-space-size=1', '--heap-growing-percent=20', '--expose-gc'] }];

