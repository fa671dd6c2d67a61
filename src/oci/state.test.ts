import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FAST_STATE_FILE } from './fast-state.js';
import { procStat } from './proc.js';
import { CLAIM_FILE, StateStore } from './state.js';

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
      assert.deepEqual(readdirSync(join(root, 'aside')).sort(), [CLAIM_FILE, FAST_STATE_FILE, 'state.json'].sort(), 'nothing deleted here');
      assert.deepEqual(store.ids(), []);
      store.claim('mdk-test-b');
    } finally {
      store.removal = undefined;
    }
  });
});

describe('StateStore.claim: a claim whose claimer is gone is released', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-state-claim-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  // the lock file at its path, as the addon's (no flock needed in one thread)
  const store = new StateStore(join(root, 'oci'), (path) => openSync(path, 'a'));
  const claimFile = (id: string): string => join(store.dir(id), CLAIM_FILE);
  const us = `${process.pid} ${procStat(process.pid)!.startTime}\n`;

  test('the claim names its claimer; a second claim while it lives: "already exists"', () => {
    store.claim('mdk-test-c1');
    assert.equal(readFileSync(claimFile('mdk-test-c1'), 'utf8'), us);
    assert.throws(() => store.claim('mdk-test-c1'), /container with id "mdk-test-c1" already exists/);
    writeFileSync(join(store.dir('mdk-test-c1'), 'state.json'), JSON.stringify({ id: 'mdk-test-c1', pid: 0 }));
    assert.throws(() => store.claim('mdk-test-c1'), /already exists/, 'a state without a pid yet, its claimer alive');
  });

  test('a claimer gone (another process at its pid, or none) before the container had its pid: the id is claimed anew', () => {
    store.claim('mdk-test-c2');
    writeFileSync(join(store.dir('mdk-test-c2'), 'state.json'), JSON.stringify({ id: 'mdk-test-c2', pid: 0 }));
    writeFileSync(join(store.dir('mdk-test-c2'), 'exec.fifo'), '');
    writeFileSync(claimFile('mdk-test-c2'), `${process.pid} 1\n`);
    store.claim('mdk-test-c2');
    assert.deepEqual(readdirSync(store.dir('mdk-test-c2')), [CLAIM_FILE], 'what the dead claimer left is gone');
    assert.equal(readFileSync(claimFile('mdk-test-c2'), 'utf8'), us);
    assert.deepEqual(readdirSync(join(root, 'oci')).filter((n) => n.startsWith('@')), [], 'nothing left aside');
  });

  test('a container with its pid is never released, whoever claimed it', () => {
    store.claim('mdk-test-c3');
    writeFileSync(join(store.dir('mdk-test-c3'), 'state.json'), JSON.stringify({ id: 'mdk-test-c3', pid: 12345 }));
    writeFileSync(claimFile('mdk-test-c3'), `${process.pid} 1\n`);
    assert.throws(() => store.claim('mdk-test-c3'), /already exists/);
  });

  test('no claim written: released only once the directory is older than a claimer takes to write one', () => {
    store.claim('mdk-test-c4');
    rmSync(claimFile('mdk-test-c4'));
    assert.throws(() => store.claim('mdk-test-c4'), /already exists/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(store.dir('mdk-test-c4'), old, old);
    store.claim('mdk-test-c4');
    assert.equal(readFileSync(claimFile('mdk-test-c4'), 'utf8'), us);
  });
});
