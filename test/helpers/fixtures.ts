/**
 * Suite fixtures for the integration tests: a busybox rootfs made once per
 * suite, and around every test a snapshot of mounts and processes that must
 * look the same afterwards. useOci adds a state root per test and removes
 * the containers and bundles a test leaves before the leak check.
 */
import { rmSync } from 'node:fs';
import { after, afterEach, before, beforeEach } from 'node:test';
import type { Spec } from '../../src/spec/schema.js';
import type { CliResult } from './cli.js';
import { makeBundle, makeStateRoot, removeBundle, runtime } from './bundle.js';
import { assertNoLeaks, type Snapshot, snapshot } from './leaks.js';
import { makeBusyboxRootfs, removeRootfs } from './rootfs.js';

export interface RootfsFixture {
  readonly rootfs: string;
}

function register(marker: string | undefined, cleanup: () => Promise<void>): RootfsFixture {
  const f = { rootfs: '' };
  let snap: Snapshot;
  before(() => {
    f.rootfs = makeBusyboxRootfs();
  });
  after(() => removeRootfs(f.rootfs));
  beforeEach(() => {
    snap = snapshot();
  });
  afterEach(async () => {
    await cleanup();
    await assertNoLeaks(snap, marker);
  });
  return f;
}

export function useRootfs(marker?: string): RootfsFixture {
  return register(marker, async () => {});
}

export interface OciState {
  id: string;
  pid: number;
  status: string;
  bundle: string;
  rootfs: string;
}

export interface OciFixture extends RootfsFixture {
  /** this test's --root */
  readonly root: string;
  rt(...args: string[]): Promise<CliResult>;
  /** a bundle whose config.json is our default spec, changed by CHANGE; removed after the test */
  bundle(change?: (s: Spec) => void): string;
  /** something else the test made, to remove after it */
  removeLater(path: string): void;
  state(id: string): Promise<OciState>;
}

export function useOci(marker = 'mdk-test-marker'): OciFixture {
  let root = '';
  const made: string[] = [];
  const rt = (...args: string[]) => runtime(root, args);
  const base = register(marker, async () => {
    for (const id of (await rt('list', '-q')).stdout.split('\n').filter(Boolean)) await rt('delete', '--force', id);
    rmSync(root, { recursive: true, force: true });
    while (made.length) removeBundle(made.pop()!);
  });
  beforeEach(() => {
    root = makeStateRoot();
  });
  return {
    get rootfs() {
      return base.rootfs;
    },
    get root() {
      return root;
    },
    rt,
    bundle(change) {
      const b = makeBundle(base.rootfs, change);
      made.push(b);
      return b;
    },
    removeLater(path) {
      made.push(path);
    },
    async state(id) {
      const r = await rt('state', id);
      if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
      return JSON.parse(r.stdout) as OciState;
    },
  };
}
