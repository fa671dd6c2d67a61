/**
 * The package as a user gets it: `npm pack` of this build, installed with
 * npm into a fresh directory (its install script builds the C helper and
 * the snapshot; better-sqlite3 comes from the registry), then the README's
 * library examples, copied out of README.md, run there as root, and
 * type-checked with the package's own types (tsc, strict).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { type ImageEnv, makeImageEnv } from '../helpers/image-env.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';

/** the repository: the compiled test runs from build/tsc/test/integration */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'README.md')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('cannot find the repository above this test');
}

/** The ```js block that follows `<!-- library example: NAME` in README. */
export function readmeExample(readme: string, name: string): string {
  const at = readme.indexOf(`<!-- library example: ${name}`);
  assert.ok(at >= 0, `README.md has no library example "${name}"`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `no js block after the library example "${name}"`);
  return m[1]!;
}

describe('the packed package, installed with npm', () => {
  const repo = repoRoot();
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  let dir: string;
  let rootfs: string;
  let env: ImageEnv;
  let snap: Snapshot;

  before(() => {
    snap = snapshot();
    dir = mkdtempSync('/tmp/mdk-test-pack-');
    rootfs = makeBusyboxRootfs();
    env = makeImageEnv();
    const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' }).trim().split('\n').pop()!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mdk-test-consumer', private: true, type: 'module' }));
    // the install script compiles the C helper; better-sqlite3 compiles too where no prebuilt binary is reachable
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `./${tgz}`], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, JOBS: 'max' }, timeout: 300_000,
    });
    assert.equal(r.status, 0, `npm install failed:\n${r.stdout}\n${r.stderr}`);
    copyFileSync(buildBusyboxImage(join(dir, 'image')).archive, join(dir, 'busybox.tar'));
  });

  after(async () => {
    env.remove();
    removeRootfs(rootfs);
    rmSync(dir, { recursive: true, force: true });
    await assertNoLeaks(snap);
  });

  const node = (file: string, extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...extraEnv }, timeout: 60_000 });

  test('the jail example: runs, and kill(SIGTERM) under an init names the signal', () => {
    writeFileSync(join(dir, 'jail.mjs'), readmeExample(readme, 'jail').replaceAll('/srv/busybox', rootfs));
    const r = node('jail.mjs');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['hi', '0']);
    assert.match(lines[2] ?? '', /^pid \d+$/);
    assert.match(lines.slice(3).join(' ').replace(/\s+/g, ' '), /^\{ exitCode: 143, signal: 'SIGTERM', cgroup: '\/moby-dick-jail\/[0-9a-f]{16}' \}$/);
  });

  test('the engine example: load, run, exec, stop, wait, logs, remove', () => {
    writeFileSync(join(dir, 'engine.mjs'), readmeExample(readme, 'engine'));
    const r = node('engine.mjs', env.env);
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.replace(/\s+/g, ' ');
    assert.match(out, /^hi from exec \[ '[a-z]+_[a-z]+\d* running' \] /);
    assert.ok(out.includes("{ exitCode: 143, signal: 'SIGTERM' } "), out);
    assert.ok(out.includes("{ exitCode: 3 } { stdout: 'out\\n', stderr: 'err\\n' }"), out);
    assert.equal(r.stderr, '');
    // removed: the store holds no container
    const ps = spawnSync(join(dir, 'node_modules', 'moby-dick', 'build', 'moby-dick'), ['ps', '-aq'], { env: env.env, encoding: 'utf8' });
    assert.equal(ps.status, 0, ps.stderr);
    assert.equal(ps.stdout, '');
  });

  test('the engine-flags example: a tty with stdin and resize, a published port, limits, restart policy, update', () => {
    writeFileSync(join(dir, 'engine-flags.mjs'), readmeExample(readme, 'engine-flags'));
    const r = node('engine-flags.mjs', env.env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^world\r\nhello world\r\n24 80\r\n\{ exitCode: 0 \}\nhi\n\n$/);
    const ps = spawnSync(join(dir, 'node_modules', 'moby-dick', 'build', 'moby-dick'), ['ps', '-aq'], { env: env.env, encoding: 'utf8' });
    assert.equal(ps.stdout, '');
  });

  test('the examples and a typed use type-check against the package types (tsc --strict)', () => {
    writeFileSync(join(dir, 'jail.ts'), readmeExample(readme, 'jail'));
    writeFileSync(join(dir, 'engine.ts'), readmeExample(readme, 'engine'));
    writeFileSync(join(dir, 'engine-flags.ts'), readmeExample(readme, 'engine-flags'));
    writeFileSync(join(dir, 'typed.ts'), [
      "import { type ContainerExit, type ContainerSummary, type EngineHandle, type ExitStatus, MobyDickError, openEngine, startContainer } from 'moby-dick';",
      "const engine: EngineHandle = await openEngine({ root: '/tmp/none' });",
      "const c = await engine.run({ image: 'busybox', command: ['true'], network: 'none', mounts: [{ type: 'tmpfs', target: '/t' }] });",
      'const ended: ContainerExit = await c.wait();',
      'const code: number = ended.exitCode;',
      'const all: ContainerSummary[] = engine.list();',
      "const s: ExitStatus = await startContainer({ rootfs: '/tmp/none', command: ['true'] }).wait();",
      "// @ts-expect-error: a network is named by a string",
      "await engine.run({ image: 'busybox', network: 1 });",
      "// @ts-expect-error: no such restart policy",
      "await engine.run({ image: 'busybox', restart: { policy: 'sometimes' } });",
      "// @ts-expect-error: memory is a number of bytes",
      "await engine.run({ image: 'busybox', resources: { memory: '64m' } });",
      "// @ts-expect-error: no such mount type",
      "await engine.run({ image: 'busybox', mounts: [{ type: 'nfs', target: '/n' }] });",
      'export { code, all, s, MobyDickError };',
    ].join('\n'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true,
        types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')],
      },
      files: ['jail.ts', 'engine.ts', 'engine-flags.ts', 'typed.ts'],
    }));
    const r = spawnSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
