/**
 * The OCI runtime's create with its collaborators given in (the state
 * store's lock, the cgroup layout, the exec fifo's mkfifo): the fifo is
 * made in the container's state directory with runc's mode once the state
 * is written, and a create whose fifo cannot be made leaves nothing behind.
 * No root, no addon, no helper started.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRootless } from '../rootless/rootless.js';
import { rootlessDefaultSpec } from '../rootless/rootless-spec.js';
import { defaultSpec } from '../spec/default-spec.js';
import { OciRuntime } from './lifecycle.js';
import { StateStore } from './state.js';

describe("the OCI runtime's create, its fifo made by a collaborator", () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-lifecycle-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  const spec = isRootless() ? rootlessDefaultSpec(process.geteuid!(), process.getegid!()) : defaultSpec();
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...spec, process: { ...spec.process, terminal: false } }));
  const store = new StateStore(join(dir, 'state'), () => openSync(join(dir, 'lock'), 'w'));

  test('a create whose fifo cannot be made fails with its error and leaves no state', async () => {
    const made: { path: string; mode: number; stateWritten: boolean }[] = [];
    const runtime = new OciRuntime(
      store,
      () => {},
      () => {
        // as an ordinary user create looks for a delegated v2 subtree first (cgroups/delegation.ts):
        // a v1 layout has none, and nothing of it is made before the fifo
        if (isRootless()) return { version: 1, v1: [], unified: null };
        throw new Error('the cgroup layout is not read before the fifo is made');
      },
      (path, mode) => {
        made.push({ path, mode, stateWritten: existsSync(join(store.dir('mdk-test-c1'), 'state.json')) });
        throw Object.assign(new Error('mkfifo: EACCES'), { code: 'EACCES' });
      },
    );
    await assert.rejects(runtime.create('mdk-test-c1', { bundle }), /mkfifo: EACCES/);
    assert.deepEqual(made, [{ path: store.fifo('mdk-test-c1'), mode: 0o622, stateWritten: true }]);
    assert.equal(existsSync(store.dir('mdk-test-c1')), false);
    // the id is free again
    await assert.rejects(runtime.create('mdk-test-c1', { bundle }), /mkfifo: EACCES/);
    assert.equal(made.length, 2);
  });
});
