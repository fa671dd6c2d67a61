// The OCI runtime's V8 startup snapshot, build/moby-dick-runtime.blob:
// everything a runtime command runs, compiled and evaluated once here
// (measured: `run` about 13-16 ms and `state` 8 ms less CPU; bench/README.md).
// Only the Node binary that made a snapshot can load it, so the stamp records
// which one that was; the launcher (native/launcher) checks it and otherwise
// runs the bundle. Run at install time too, since the snapshot belongs to the
// machine's Node; without the bundled entry (a fresh clone before `make js`)
// there is nothing to do yet.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';

const build = new URL('../build/', import.meta.url).pathname;
const entry = `${build}moby-dick-runtime-snapshot.cjs`;
const blob = `${build}moby-dick-runtime.blob`;

await rm(`${blob}.stamp`, { force: true });
await rm(blob, { force: true });
if (existsSync(entry)) {
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', entry], { stdio: 'inherit' });
  const node = await stat(process.execPath, { bigint: true });
  const seconds = node.mtimeNs / 1000000000n;
  await writeFile(`${blob}.stamp`, `${process.execPath}\n${node.size} ${seconds} ${node.mtimeNs % 1000000000n} ${node.ino}\n`);
}
