import assert from 'node:assert/strict';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StateStore } from './state.js';

describe("StateStore's lock, given in (no addon, no root)", () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-state-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const locked: string[] = [];
  const lock = (path: string): number => {
    locked.push(path);
    return openSync(join(root, 'mdk-test-lock-file'), 'w');
  };
  const store = new StateStore(root, lock);

  test('withLock and withLockAsync take the container\'s lock file, run, and give it back', async () => {
    store.claim('mdk-test-a');
    assert.equal(store.withLock('mdk-test-a', () => 7), 7);
    assert.equal(await store.withLockAsync('mdk-test-a', async () => 8), 8);
    assert.deepEqual(locked, [join(root, 'mdk-test-a', 'lock'), join(root, 'mdk-test-a', 'lock')]);
  });

  test('a container that does not exist is not locked: runc\'s words', () => {
    locked.length = 0;
    assert.throws(() => store.withLock('mdk-test-none', () => 0), /container "mdk-test-none" does not exist/);
    assert.deepEqual(locked, []);
  });
});
