// The V8 startup snapshots of the OCI runtime (build/moby-dick-runtime.blob)
// and of the CLI (build/moby-dick.blob): everything a command runs, compiled
// and evaluated once here (measured: the runtime's `run` about 13-16 ms and
// `state` 8 ms less CPU; the CLI's `run --rm busybox true` about 35 ms less;
// bench/README.md).
// Only the Node binary that made a snapshot can load it, so each stamp
// records which one that was; the launchers (native/launcher) check it and
// otherwise run the bundle. Run at install time too, since the snapshots
// belong to the machine's Node; without the bundled entries (a fresh clone
// before `make js`) there is nothing to do yet.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';

const build = new URL('../build/', import.meta.url).pathname;
const node = await stat(process.execPath, { bigint: true });
const seconds = node.mtimeNs / 1000000000n;
const stamp = `${process.execPath}\n${node.size} ${seconds} ${node.mtimeNs % 1000000000n} ${node.ino}\n`;

for (const name of ['moby-dick-runtime', 'moby-dick']) {
  const entry = `${build}${name}-snapshot.cjs`;
  const blob = `${build}${name}.blob`;
  await rm(`${blob}.stamp`, { force: true });
  await rm(blob, { force: true });
  if (!existsSync(entry)) continue;
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', entry], { stdio: 'inherit' });
  // the command lines the snapshot serves (scripts/bundle.mjs, from src/cli/command-names.ts); without, all
  const served = existsSync(`${build}${name}-snapshot.json`)
    ? JSON.parse(await readFile(`${build}${name}-snapshot.json`, 'utf8'))
    : {};
  const lines = [['only', served.only], ['except', served.except]].filter(([, words]) => words?.length);
  // Node options per command line: `options WORD... --OPTION...`
  for (const o of served.options ?? []) lines.push(['options', [...o.words, ...o.options]]);
  await writeFile(`${blob}.stamp`, stamp + lines.map(([key, words]) => `${key} ${words.join(' ')}\n`).join(''));
}

// the code cache of the CLI's bundle (src/cli/code-cache.ts), which belongs
// to the machine's Node as the snapshots do
if (existsSync(`${build}moby-dick.cjs`) && existsSync(`${build}moby-dick-cli.cjs`)) {
  createRequire(import.meta.url)(`${build}moby-dick.cjs`).writeCodeCache();
}
