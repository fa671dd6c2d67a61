/**
 * The entry of the runtime's V8 startup snapshot. Every runtime command is a
 * fresh Node process (containerd and Podman call it several times per
 * container), and compiling the bundle — the config.json validator with it —
 * is most of what it costs beyond Node's own start: the snapshot holds them
 * compiled and evaluated. Built by `node --build-snapshot` (scripts/bundle.mjs);
 * the launcher (native/launcher) runs `node --snapshot-blob BLOB -- ARGS`.
 */
import { dirname } from 'node:path';
import { startupSnapshot } from 'node:v8';
import '../oci/validate.js';
import { useInstallDir } from '../helper/helper-path.js';
import { snapshotBlob } from '../util/snapshot-blob.js';
import { main } from './main.js';

/** The blob sits next to the helper and the addon. */
function blobDir(): string {
  const blob = snapshotBlob();
  return blob === undefined ? process.cwd() : dirname(blob);
}

startupSnapshot.setDeserializeMainFunction(() => {
  useInstallDir(blobDir());
  // without a script, argv[1] is already the first argument
  main(process.argv.slice(1)).then((code) => {
    process.exitCode = code;
  });
});
