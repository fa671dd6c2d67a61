/** OCI bundles for the runtime tests: config.json from our `spec` defaults, root pointing at a test rootfs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpec } from '../../src/spec/default-spec.js';
import type { Spec } from '../../src/spec/schema.js';
import { run } from './cli.js';
import { TEST_PREFIX } from './rootfs.js';

export const RUNTIME = `${new URL('../../../../build/moby-dick-runtime', import.meta.url).pathname}`;

export function makeBundle(rootfs: string, change: (s: Spec) => void = () => {}): string {
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}bundle-`));
  const spec = defaultSpec();
  spec.root = { path: rootfs, readonly: false };
  spec.process!.terminal = false;
  spec.process!.args = ['sleep', '30'];
  change(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}

export function removeBundle(dir: string): void {
  if (!dir.includes(TEST_PREFIX)) throw new Error(`refusing to remove ${dir}`);
  rmSync(dir, { recursive: true, force: true });
}

/** A state root of its own for each test file, so tests never see other containers. */
export function makeStateRoot(): string {
  return mkdtempSync(join('/tmp', `${TEST_PREFIX}oci-root-`));
}

/** Runs moby-dick-runtime; done at its exit, since a container it started may hold its stdio. */
export function runtime(root: string, args: readonly string[], options: Parameters<typeof run>[2] = {}) {
  return run(RUNTIME, ['--root', root, ...args], { until: 'exit', ...options });
}
