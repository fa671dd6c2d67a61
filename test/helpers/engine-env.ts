/**
 * An engine test's world: a private store (MOBY_DICK_ROOT) with a busybox
 * image loaded from a local registry, and a cleanup that removes every
 * container the test made (rm -f), so that monitors, cgroups and mounts go.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { cgroupDirsOf } from '../../src/engine/leftovers.js';
import { after, afterEach, before, beforeEach } from 'node:test';
import { ENGINE_CGROUP_PARENT, type ImageEnv, makeImageEnv } from './image-env.js';
import { makeImage, writeLayout } from './oci-image.js';
import { type Registry, skopeo, startRegistry } from './registry.js';
import { assertNoLeaks, type Snapshot, snapshot } from './leaks.js';
import { makeBusyboxRootfs, removeRootfs } from './rootfs.js';

export interface EngineEnv {
  readonly env: ImageEnv;
  /** the busybox image's name in the local registry, pulled into the store */
  readonly image: string;
  /** every container in the store, removed with rm -f */
  removeAll(): Promise<void>;
}

export function useEngine(): EngineEnv {
  let reg: Registry;
  let env: ImageEnv;
  let rootfs: string;
  let layout: string;
  let image = '';
  const removeAll = async (): Promise<void> => {
    const ids = (await env.mdk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await env.mdk(['rm', '-f', '-v', ...ids]);
  };
  before(async () => {
    rootfs = makeBusyboxRootfs();
    reg = await startRegistry();
    layout = writeLayout(makeImage([rootfs], { cmd: ['sh'] }));
    image = `${reg.host}/mdk-test/busybox:latest`;
    skopeo(['copy', `oci:${layout}:latest`, `docker://${image}`]);
    env = makeImageEnv();
    const pulled = await env.mdk(['pull', '-q', image]);
    if (pulled.code !== 0) throw new Error(pulled.stderr);
    await reg.stop(); // everything after comes from the store
  });
  after(async () => {
    await removeAll();
    // the engine's parent cgroup goes with its last container (image-env.ts names it for this test)
    assert.deepEqual(cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}`), [], 'no cgroup left');
    // the store goes once the file's last hook has run: a suite's own after hooks, declared after
    // this one, run after it (node:test runs them in order) and may still use the store — a volume
    // to remove, a service to stop — and a CLI run then would make the store again, left in /tmp
    process.once('beforeExit', () => {
      env.remove();
      removeRootfs(rootfs);
      rmSync(layout, { recursive: true, force: true });
    });
  });
  return {
    get env() {
      return env;
    },
    get image() {
      return image;
    },
    removeAll,
  };
}

/**
 * After each test of W's: every container removed (rm -f -v), then ALSO
 * (e.g. volume prune), then nothing left that the test's start did not have
 * (mounts, helper processes).
 */
export function checkEachTest(w: EngineEnv, also?: () => Promise<unknown>): void {
  let snap: Snapshot;
  beforeEach(() => {
    snap = snapshot();
  });
  afterEach(async () => {
    await w.removeAll();
    await also?.();
    await assertNoLeaks(snap);
  });
}
