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
 * Native addons cannot be in a snapshot: better-sqlite3's JavaScript is in
 * it, and its compiled addon is loaded from node_modules when the store
 * opens (store/sqlite-driver.ts).
 */
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { type SqliteDriver, useSqliteDriver } from '../images/store/sqlite-driver.js';
import { snapshotBlob } from '../util/snapshot-blob.js';
// what the commands load lazily, evaluated now: run IMAGE (commands/run.ts),
// the OCI spec's validation (oci/lifecycle.ts), exec's user lookup; and
// every command of the registry, below. Not cli-progress (pull's bars on a
// terminal), which loads node:readline: Node 20 cannot promise that it
// works from a snapshot.
import '../engine/exec-user.js';
import '../oci/validate.js';
import './run-image.js';
import { main } from './main.js';
import { COMMANDS } from './registry.js';
import { useLauncher } from './self-command.js';
import { warmUp } from './snapshot-warm-up.js';

/** The version of better-sqlite3 whose JavaScript the snapshot holds (scripts/bundle.mjs). */
declare const BETTER_SQLITE3_VERSION: string;

/**
 * better-sqlite3 as the snapshot holds it, with the addon of the package
 * installed beside the bundle, when that is the same version (its
 * JavaScript and its addon must match); else undefined, and the store
 * requires the package as the bundle does.
 */
function snapshotSqlite(moduleUrl: string): SqliteDriver | undefined {
  try {
    const require = process.getBuiltinModule('node:module').createRequire(moduleUrl);
    // the package's own node_modules (BUILD/../node_modules) first: resolving costs a few ms of package.json reads
    const own = join(dirname(dirname(fileURLToPath(moduleUrl))), 'node_modules', 'better-sqlite3', 'package.json');
    const pkg = existsSync(own) ? own : require.resolve('better-sqlite3/package.json');
    if ((JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version !== BETTER_SQLITE3_VERSION) return undefined;
    const addon = require(join(dirname(pkg), 'build', 'Release', 'better_sqlite3.node')) as object;
    return { Driver: BetterSqlite3, options: { nativeBinding: addon } };
  } catch {
    return undefined;
  }
}

/** What the bundle's import.meta.url is in the snapshot (scripts/bundle.mjs defines it so). */
declare global {
  // eslint-disable-next-line no-var
  var __mdkSnapshotModuleUrl: string | undefined;
}

// now, while the snapshot is built: the code of `run`'s pure steps, compiled
warmUp();
// and every command's module evaluated (their loaders are import()s, which
// the bundle makes promises of require()s: the event loop runs them before
// the snapshot is taken); the others are not in this bundle (scripts/bundle.mjs)
for (const c of COMMANDS) if (c.snapshot) void c.load();

startupSnapshot.setDeserializeMainFunction(() => {
  // build/moby-dick.blob: build/moby-dick is the launcher, build/moby-dick.cjs the bundle
  const blob = resolve(snapshotBlob() ?? 'moby-dick.blob');
  const base = blob.endsWith('.blob') ? blob.slice(0, -'.blob'.length) : join(dirname(blob), 'moby-dick');
  const moduleUrl = pathToFileURL(`${base}.cjs`).href;
  globalThis.__mdkSnapshotModuleUrl = moduleUrl;
  useLauncher(base);
  useSqliteDriver(() => snapshotSqlite(moduleUrl));
  // without a script, argv[1] is already the first argument: make it the bundle's, as when run from it
  process.argv.splice(1, 0, `${base}.cjs`);
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
});
