// Bundles the CLI and the library with esbuild, one file each, so that
// nothing is resolved at start-up. The CLI is CommonJS: on Node 20 an ESM
// entry costs about 9 ms more to start than the same code as CommonJS
// (measured with hyperfine; see bench/README.md).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
// which build this is: a hash of the sources (and the lock file, for zod's
// version), so that what one build compiled and cached (the seccomp
// programs, src/oci/seccomp-cache.ts) is never used by another
const buildId = createHash('sha256');
const sources = (await readdir('src', { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
for (const f of [...sources.map((f) => `src/${f}`), 'package-lock.json']) buildId.update(`${f}\0`).update(await readFile(f)).update('\0');
// the default seccomp profile compiled now, for the capability sets
// containers get by default (src/oci/seccomp-prebuilt.ts): a jail then
// neither compiles it nor reads it from the cache
const prebuild = await build({
  bundle: true,
  platform: 'node',
  format: 'cjs',
  logLevel: 'warning',
  stdin: { contents: "export { prebuildSeccomp } from './src/oci/seccomp-prebuilt.ts';\n", resolveDir: '.', loader: 'ts' },
  write: false,
});
const prebuildModule = { exports: {} };
new Function('module', 'exports', 'require', prebuild.outputFiles[0].text)(prebuildModule, prebuildModule.exports, createRequire(import.meta.url));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: {
    MOBY_DICK_VERSION: JSON.stringify(pkg.version),
    MOBY_DICK_BUILD_ID: JSON.stringify(buildId.digest('hex').slice(0, 32)),
    MOBY_DICK_PREBUILT_SECCOMP: JSON.stringify(prebuildModule.exports.prebuildSeccomp()),
  },
};

/**
 * An executable CommonJS bundle BUILD/NAME.cjs (.cjs tells Node the module
 * type); BUILD/NAME is its launcher (native/launcher), which runs the
 * bundle when the startup snapshot does not fit. In the shebang, `node --`
 * ends node's own options: Node 20 otherwise takes a
 * `--env-file` anywhere on the command line as its own, and exits 9 if the
 * file is missing.
 */
async function executable(name, entry, plugins = []) {
  await build({
    ...common,
    format: 'cjs',
    // a lazy import() of another bundle becomes require(): import() of a
    // CommonJS file goes through the ESM loader, whose export lexer parsed
    // the 200 KB validation bundle in about 20 ms (cpu profile of create)
    supported: { 'dynamic-import': false },
    plugins,
    entryPoints: [entry],
    outfile: `build/${name}.cjs`,
    banner: { js: '#!/usr/bin/env -S node --\nconst __mdkModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { ...common.define, 'import.meta.url': '__mdkModuleUrl' },
  });
  await chmod(`build/${name}.cjs`, 0o755);
}

// The CLI's commands, from src/cli/registry.ts, with the file each one's
// loader imports: the registry is bundled with every command file replaced
// by its path, evaluated, and every loader called. command-names.ts comes
// along: the lists of the launcher's stamp (below).
const commandPaths = {
  name: 'command-paths',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[^/]+\.js$/ }, (a) => ({ path: sourceOf(a), namespace: 'command-path' }));
    b.onLoad({ filter: /.*/, namespace: 'command-path' }, (a) => ({ contents: `module.exports = { path: ${JSON.stringify(a.path)} };`, loader: 'js' }));
  },
};
/** src/x.ts for an import of './x.js' */
function sourceOf(args) {
  return relative(process.cwd(), resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
}
const registryBuild = await build({
  ...common,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  stdin: { contents: "export * from './src/cli/command-names.ts';\nexport { COMMANDS } from './src/cli/registry.ts';\n", resolveDir: '.', loader: 'ts' },
  plugins: [commandPaths],
  write: false,
  sourcemap: false,
});
const registryModule = { exports: {} };
new Function('module', 'exports', registryBuild.outputFiles[0].text)(registryModule, registryModule.exports);
const { COMMANDS, SNAPSHOT_COMMANDS, SNAPSHOT_EXCEPT_OPTIONS, COMMAND_NODE_OPTIONS } = registryModule.exports;
const commandFiles = await Promise.all(COMMANDS.map(async (c) => ({ name: c.name, bundle: c.bundle, snapshot: c.snapshot, path: (await c.load()).path })));

// the image and container commands (pull, images, ps, ...) are a bundle of
// their own, required only when one runs: run and the original form do not
// compile zod, the registry client, the engine or the store. Its entry
// exports the module of each, in the order of imagesSide; in the small
// bundle an import of one of these (the registry's loaders, run IMAGE's
// run-image.ts) is that bundle's export. better-sqlite3 stays outside every bundle: it loads
// its compiled .node file from node_modules.
const imagesSide = [...commandFiles.filter((c) => c.bundle === 'images').map((c) => c.path), 'src/cli/run-image.ts'];
const imagesApart = {
  name: 'images-apart',
  setup(b) {
    // the registry's loaders, rewritten to one call each: a module per
    // command here cost about 0.3 ms of compiling at every start
    b.onLoad({ filter: /\/src\/cli\/registry\.ts$/ }, async (a) => {
      const text = (await readFile(a.path, 'utf8')).replace(/\bimport\('\.\/commands\/([^']+)\.js'\)/g, (call, file) => {
        const i = imagesSide.indexOf(`src/cli/commands/${file}.ts`);
        return i < 0 ? call : `fromImagesBundle(${i})`;
      });
      const loader = "\nfunction fromImagesBundle(i: number): Promise<CommandModule> { return Promise.resolve().then(() => require('./moby-dick-images.cjs').m[i]); }\n";
      return { contents: text + loader, loader: 'ts' };
    });
    // any other import of the images side (run IMAGE's run-image.ts)
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (a) => (imagesSide.includes(sourceOf(a)) ? { path: String(imagesSide.indexOf(sourceOf(a))), namespace: 'i' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'i' }, (a) => ({ contents: `module.exports=require('./moby-dick-images.cjs').m[${a.path}]`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/moby-dick-images\.cjs$/ }, () => ({ path: './moby-dick-images.cjs', external: true }));
  },
};
await build({
  ...common,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  stdin: {
    contents: `${imagesSide.map((f, i) => `import * as m${i} from './${f}';\n`).join('')}export const m = [${imagesSide.map((_, i) => `m${i}`).join(', ')}];\n`,
    resolveDir: '.',
    sourcefile: 'moby-dick-images.ts',
    loader: 'ts',
  },
  outfile: 'build/moby-dick-images.cjs',
  // dockerfile-ast (about 230 KB) is required from node_modules when a
  // Dockerfile is parsed (src/build/dockerfile.ts), in every bundle; ws
  // (about 140 KB) is required from node_modules when the service's first
  // websocket comes (bundled, it cost every image command its parse)
  external: ['better-sqlite3', 'ws'],
  banner: { js: 'const __mdkModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mdkModuleUrl' },
});
// dockerfile-ast as one file, required by every bundle's Dockerfile parser
// (src/build/dockerfile.ts): from node_modules, resolving and reading its
// 30 files took about 25 ms of every build
await build({ ...common, format: 'cjs', entryPoints: ['node_modules/dockerfile-ast/lib/main.js'], outfile: 'build/moby-dick-dockerfile.cjs' });
// the CLI's bundle; build/moby-dick itself is the launcher (native/launcher),
// as for the runtime below: it runs the CLI's snapshot, or build/moby-dick.cjs,
// which compiles this bundle with its code cache (src/cli/start.ts; the cache
// is made with the snapshots, scripts/snapshot.mjs)
await build({
  ...common,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  plugins: [imagesApart],
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'build/moby-dick-cli.cjs',
  banner: { js: 'const __mdkModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mdkModuleUrl' },
});
await executable('moby-dick', 'src/cli/start.ts');
// the API service's own bundle (src/cli/service-bin.ts), which start.ts
// requires for `system service` instead of the CLI's: the service evaluates
// only its own modules, and compiles lazily, without a code cache (it runs
// for long; the memory of evaluated commands and cached code stays)
await build({
  ...common,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  entryPoints: ['src/cli/service-bin.ts'],
  outfile: 'build/moby-dick-service.cjs',
  external: ['better-sqlite3', 'ws'],
  banner: { js: 'const __mdkModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mdkModuleUrl' },
});
// the entry of the CLI's startup snapshot (made by scripts/snapshot.mjs): one
// bundle with the image commands in it, so that all of it is evaluated when
// the snapshot is made, better-sqlite3's JavaScript too. SQLite's addon is
// loaded after start, from node_modules beside the bundle, when that is
// the same version: the snapshot sets its module URL then (src/cli/snapshot.ts).
const sqlite = JSON.parse(await readFile('node_modules/better-sqlite3/package.json', 'utf8'));
// the commands that do not start from the snapshot (registry.ts's
// `snapshot: false`) are left out of it: their loaders there are never
// called (the launcher runs the bundles for them), and their code would
// weigh on every start of the snapshot
const snapshotOnly = {
  name: 'snapshot-only',
  setup(b) {
    b.onLoad({ filter: /\/src\/cli\/registry\.ts$/ }, async (a) => {
      const text = (await readFile(a.path, 'utf8')).replace(/\bimport\('\.\/commands\/([^']+)\.js'\)/g, (call, file) => {
        const c = commandFiles.find((f) => f.path === `src/cli/commands/${file}.ts`);
        return c && !c.snapshot ? `Promise.reject(new Error('${c.name} is not in the startup snapshot'))` : call;
      });
      return { contents: text, loader: 'ts' };
    });
  },
};
await build({
  ...common,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  plugins: [snapshotOnly],
  entryPoints: ['src/cli/snapshot.ts'],
  outfile: 'build/moby-dick-snapshot.cjs',
  define: {
    ...common.define,
    'import.meta.url': 'globalThis.__mdkSnapshotModuleUrl',
    BETTER_SQLITE3_VERSION: JSON.stringify(sqlite.version),
  },
});
// which command lines that snapshot serves, and the Node options of some
// (src/cli/command-names.ts, read above), for scripts/snapshot.mjs to write
// into its stamp, where the launcher reads them
await writeFile('build/moby-dick-snapshot.json', `${JSON.stringify({ only: SNAPSHOT_COMMANDS, except: SNAPSHOT_EXCEPT_OPTIONS, options: COMMAND_NODE_OPTIONS })}\n`);

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
// build/moby-dick-runtime itself is the launcher (native/launcher): it runs
// the snapshot below, or this bundle when the snapshot does not fit the Node
// binary at hand
await executable('moby-dick-runtime', 'src/oci-cli/bin.ts', [validateApart]);
// the entry of its startup snapshot (made by scripts/snapshot.mjs)
await build({
  ...common,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  entryPoints: ['src/oci-cli/snapshot.ts'],
  outfile: 'build/moby-dick-runtime-snapshot.cjs',
  // set at start from the blob's path (helper-path.ts useInstallDir)
  define: { ...common.define, 'import.meta.url': '"file:///moby-dick-snapshot"' },
});

await build({
  ...common,
  format: 'esm',
  entryPoints: ['src/index.ts'],
  outfile: 'build/lib.mjs',
  external: ['better-sqlite3', 'fzstd', 'cli-progress'],
});
// moby-dick/unpack: the layer unpacker alone (src/unpack.ts)
await build({ ...common, format: 'esm', entryPoints: ['src/unpack.ts'], outfile: 'build/unpack.mjs' });

