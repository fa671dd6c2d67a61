// Bundles the CLI and the library with esbuild: one file each, so the CLI
// starts without resolving modules (see bench/startup.sh for what it saves).
import { build } from 'esbuild';
import { chmod, readFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { MOBY_DICK_VERSION: JSON.stringify(pkg.version) },
  // commander is CommonJS; give its require() calls a real require
  banner: { js: "import { createRequire as __mdkRequire } from 'node:module'; const require = __mdkRequire(import.meta.url);" },
};

// `node --` ends node's own options: Node 20 otherwise takes a `--env-file`
// anywhere on the command line as its own, and exits 9 if the file is missing.
await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'build/moby-dick',
  banner: { js: `#!/usr/bin/env -S node --\n${common.banner.js}` },
});
await chmod('build/moby-dick', 0o755);

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'build/lib.mjs' });
