// Bundles the CLI and the library with esbuild, one file each, so that
// nothing is resolved at start-up. The CLI is CommonJS: on Node 20 an ESM
// entry costs about 9 ms more to start than the same code as CommonJS
// (measured with hyperfine; see bench/README.md).
import { build } from 'esbuild';
import { chmod, readFile, rm, symlink } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { MOBY_DICK_VERSION: JSON.stringify(pkg.version) },
};

// `node --` ends node's own options: Node 20 otherwise takes a `--env-file`
// anywhere on the command line as its own, and exits 9 if the file is missing.
await build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/cli/main.ts'],
  outfile: 'build/moby-dick.cjs',
  banner: { js: '#!/usr/bin/env -S node --\nconst __mdkModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mdkModuleUrl' },
});
await chmod('build/moby-dick.cjs', 0o755);
// ./build/moby-dick, as the original README has it (.cjs tells Node the module type)
await rm('build/moby-dick', { force: true });
await symlink('moby-dick.cjs', 'build/moby-dick');

// the OCI runtime with runc's command line. config.json validation (zod)
// is a bundle of its own, required only by the commands that read a spec:
// compiling it would add about 2.5 ms to every `state`, `kill` and `delete`.
const validateApart = {
  name: 'validate-apart',
  setup(b) {
    b.onResolve({ filter: /\/validate\.js$/ }, () => ({ path: './moby-dick-validate.cjs', external: true }));
  },
};
await build({ ...common, format: 'cjs', entryPoints: ['src/oci/validate.ts'], outfile: 'build/moby-dick-validate.cjs' });
await build({
  ...common,
  format: 'cjs',
  plugins: [validateApart],
  entryPoints: ['src/oci-cli/main.ts'],
  outfile: 'build/moby-dick-runtime.cjs',
  banner: { js: '#!/usr/bin/env -S node --\nconst __mdkModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mdkModuleUrl' },
});
await chmod('build/moby-dick-runtime.cjs', 0o755);
await rm('build/moby-dick-runtime', { force: true });
await symlink('moby-dick-runtime.cjs', 'build/moby-dick-runtime');

await build({
  ...common,
  format: 'esm',
  entryPoints: ['src/index.ts'],
  outfile: 'build/lib.mjs',
});
