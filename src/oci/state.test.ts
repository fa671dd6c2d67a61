import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FAST_STATE_FILE } from './fast-state.js';
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

describe('StateStore.remove', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-state-rm-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const store = new StateStore(join(root, 'oci'), () => openSync(join(root, 'mdk-test-lock-file'), 'w'));

  test('without a removal: the directory is deleted at once', () => {
    store.claim('mdk-test-a');
    writeFileSync(join(store.dir('mdk-test-a'), 'state.json'), '{}');
    store.remove('mdk-test-a');
    assert.equal(existsSync(store.dir('mdk-test-a')), false);
  });

  test('with a removal: the directory is handed to it whole (the fast state too), and the id is free again', () => {
    const given: string[] = [];
    store.removal = {
      remove(path) {
        given.push(path);
        renameSync(path, join(root, 'aside'));
      },
    };
    try {
      store.claim('mdk-test-b');
      writeFileSync(join(store.dir('mdk-test-b'), 'state.json'), '{}');
      writeFileSync(join(store.dir('mdk-test-b'), FAST_STATE_FILE), '');
      store.remove('mdk-test-b');
      assert.deepEqual(given, [store.dir('mdk-test-b')]);
      assert.deepEqual(readdirSync(join(root, 'aside')).sort(), [FAST_STATE_FILE, 'state.json'].sort(), 'nothing deleted here');
      assert.deepEqual(store.ids(), []);
      store.claim('mdk-test-b');
    } finally {
      store.removal = undefined;
    }
  });
});
