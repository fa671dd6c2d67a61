/**
 * The entry of the CLI's V8 startup snapshot. A `moby-dick run IMAGE` spent
 * about 35 ms of its start compiling and initialising its two bundles (the
 * engine, the store, zod, the OCI runtime's create): the snapshot holds them
 * compiled and evaluated. Built by `node --build-snapshot`
 * (scripts/snapshot.mjs); the launcher build/moby-dick (native/launcher)
 * runs `node --snapshot-blob build/moby-dick.blob -- ARGS`.
 *
 * Nothing here may read the environment, the clock or a file while the
 * snapshot is built: module initialisation runs then, on the build machine.
 * Native addons cannot be in a snapshot: better-sqlite3 is required when the
 * store is opened, from next to the blob (store/db.ts).
 */
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { snapshotBlob } from '../runtime/snapshot-blob.js';
// what the commands load lazily, evaluated now: the image and container
// commands (main.ts), the OCI spec's validation (oci/lifecycle.ts), exec's
// user lookup. Not cli-progress (pull's bars on a terminal), which loads
// node:readline: Node 20 cannot promise that it works from a snapshot.
import '../engine/exec-user.js';
import '../oci/validate.js';
import './images-cli.js';
import { main } from './main.js';
import { useLauncher } from './self-command.js';

/** What the bundle's import.meta.url is in the snapshot (scripts/bundle.mjs defines it so). */
declare global {
  // eslint-disable-next-line no-var
  var __mdkSnapshotModuleUrl: string | undefined;
}

startupSnapshot.setDeserializeMainFunction(() => {
  // build/moby-dick.blob: build/moby-dick is the launcher, build/moby-dick.cjs the bundle
  const blob = resolve(snapshotBlob() ?? 'moby-dick.blob');
  const base = blob.endsWith('.blob') ? blob.slice(0, -'.blob'.length) : join(dirname(blob), 'moby-dick');
  globalThis.__mdkSnapshotModuleUrl = pathToFileURL(`${base}.cjs`).href;
  useLauncher(base);
  // without a script, argv[1] is already the first argument: make it the bundle's, as when run from it
  process.argv.splice(1, 0, `${base}.cjs`);
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
});
