/**
 * build/moby-dick-runtime is a launcher: it runs the runtime from its V8
 * startup snapshot with the Node binary that made the snapshot, and from the
 * bundle with `node` from PATH when the stamp does not match that binary.
 * Told apart here by PATH: without node in PATH only the snapshot can start.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RUNTIME } from '../helpers/bundle.js';
import { useOci } from '../helpers/fixtures.js';
import { run } from '../helpers/cli.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';

const BUILD = dirname(RUNTIME);
const FILES = [
  'moby-dick-runtime',
  'moby-dick-runtime.blob',
  'moby-dick-runtime.blob.stamp',
  'moby-dick-runtime.cjs',
  'moby-dick-validate.cjs',
  'mdk-init',
  'mdk-node.node',
];

describe('runtime launcher', () => {
  const fx = useOci();
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}launcher-`));
  for (const f of FILES) copyFileSync(join(BUILD, f), join(dir, f));
  const launcher = join(dir, 'moby-dick-runtime');
  const stamp = join(dir, 'moby-dick-runtime.blob.stamp');
  const good = readFileSync(stamp, 'utf8');
  const noNode = { PATH: '/mdk-test-nowhere' };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a matching stamp starts the snapshot with the Node binary that made it', async () => {
    writeFileSync(stamp, good);
    const r = await run(launcher, ['--root', join(dir, 'state'), 'state', 'mdk-test-none'], { env: noNode, until: 'exit' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container "mdk-test-none" does not exist/);
  });

  test('a stamp of another Node binary falls back to the bundle and `node` from PATH', async () => {
    const [node] = good.split('\n');
    writeFileSync(stamp, `${node}\n1 2 3 4\n`);
    const missing = await run(launcher, ['--version'], { env: noNode, until: 'exit' });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot run node/);
    const r = await run(launcher, ['--version'], { env: { PATH: dirname(process.execPath) }, until: 'exit' });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^moby-dick-runtime version /);
  });

  test('the snapshot finds the helper and the addon next to its blob', async () => {
    // (its module URL is a placeholder: without the blob's directory it finds no helper)
    writeFileSync(stamp, good);
    const bundle = fx.bundle((s) => {
      s.process!.args = ['echo', 'from the snapshot'];
    });
    const r = await run(launcher, ['--root', fx.root, 'run', '--bundle', bundle, 'mdk-test-launched'], { env: noNode, until: 'exit' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from the snapshot\n');
  });
});
