import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DeferredRemoval } from './deferred-removal.js';

describe('DeferredRemoval', () => {
  const base = mkdtempSync('/tmp/mdk-test-deferred-removal-');
  after(() => rmSync(base, { recursive: true, force: true }));
  const trashRoot = join(base, 'trash');
  mkdirSync(trashRoot);
  const tree = (name: string): string => {
    const dir = join(base, name);
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'a', `f${i}`), 'x');
    writeFileSync(join(dir, 'a', 'b', 'g'), 'y');
    return dir;
  };

  test('the paths are gone when remove returns (a missing one too), their files once settle resolves, the trash dir with them', async () => {
    const r = new DeferredRemoval(trashRoot);
    const one = tree('one');
    const two = tree('two');
    assert.equal(r.remove([one, join(base, 'missing'), two]), true);
    assert.equal(existsSync(one), false);
    assert.equal(existsSync(two), false);
    assert.equal(await r.settle(), 0);
    assert.deepEqual(readdirSync(trashRoot), []);
  });

  test('REMOVE_TREE deletes the trash dir (an ordinary user\'s: rm -rf in the user namespace); its failure is counted by settle', async () => {
    const asked: string[] = [];
    const r = new DeferredRemoval(trashRoot, async (dir) => {
      asked.push(dir);
      rmSync(dir, { recursive: true, force: true });
    });
    const four = tree('four');
    assert.equal(r.remove([four]), true);
    assert.equal(existsSync(four), false);
    assert.equal(await r.settle(), 0);
    assert.equal(asked.length, 1);
    assert.equal(join(asked[0]!, '..'), trashRoot, 'the trash dir under TRASH_ROOT');
    assert.deepEqual(readdirSync(trashRoot), []);
    const failing = new DeferredRemoval(trashRoot, () => Promise.reject(new Error('EACCES')));
    assert.equal(failing.remove([tree('five')]), true);
    assert.equal(await failing.settle(), 1);
    rmSync(trashRoot, { recursive: true, force: true });
    mkdirSync(trashRoot);
  });

  test('on another file system (/dev/shm, a tmpfs) nothing moves: false, the paths left to the caller', async () => {
    assert.notEqual(statfsSync('/dev/shm').type, statfsSync(base).type, '/dev/shm must be another file system than /tmp');
    const other = mkdtempSync('/dev/shm/mdk-test-deferred-removal-');
    try {
      const r = new DeferredRemoval(trashRoot);
      const here = tree('three');
      assert.equal(r.remove([here, other]), false);
      assert.equal(existsSync(here), true, 'what moved was put back');
      assert.equal(existsSync(other), true);
      assert.equal(await r.settle(), 0);
      assert.deepEqual(readdirSync(trashRoot), []);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
