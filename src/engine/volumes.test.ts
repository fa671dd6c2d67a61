import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ContainerRecord } from './container-table.js';
import { checkVolumeName, diskUsage, VolumeStore } from './volumes.js';

describe('volumes', () => {
  const root = mkdtempSync('/tmp/mdk-test-volumes-');
  after(() => rmSync(root, { recursive: true, force: true }));
  const user = (id: string, names: string[]): ContainerRecord => ({ id, volumes: Object.fromEntries(names.map((n) => [n, '/d'])) }) as unknown as ContainerRecord;

  test('names are what Docker\'s local driver takes: nothing that leaves the directory', () => {
    for (const ok of ['ab', 'a.b_c-1', 'A9']) assert.doesNotThrow(() => checkVolumeName(ok));
    assert.throws(() => checkVolumeName('a'), /too short/);
    for (const bad of ['../x', 'a/b', '.hidden', '-x', 'a b', '']) assert.throws(() => checkVolumeName(bad), /invalid characters|too short/, bad);
  });

  test('create, get, list, remove; in use is refused; -f makes a missing one no error', () => {
    const vs = new VolumeStore(root);
    const v = vs.create('mdk-test-a', { k: 'v' });
    assert.equal(v.mountpoint, join(root, 'volumes', 'mdk-test-a', '_data'));
    assert.deepEqual(vs.get('mdk-test-a').labels, { k: 'v' });
    assert.equal(vs.create('mdk-test-a').labels.k, 'v', 'an existing volume is returned as it is');
    const anon = vs.create();
    assert.equal(anon.anonymous, true);
    assert.deepEqual(vs.list().map((x) => x.name), [anon.name, 'mdk-test-a'].sort());
    assert.throws(() => vs.remove('mdk-test-a', [user('c1', ['mdk-test-a'])]), /remove mdk-test-a: volume is in use - \[c1\]/);
    assert.equal(vs.remove('mdk-test-a', []), true);
    assert.throws(() => vs.get('mdk-test-a'), /get mdk-test-a: no such volume/);
    assert.equal(vs.remove('mdk-test-a', [], true), false);
    assert.throws(() => vs.remove('mdk-test-a', []), /no such volume/);
    assert.equal(vs.remove(anon.name, []), true);
  });

  test('prune: unused anonymous ones, all unused with ALL; the bytes of their files', () => {
    const vs = new VolumeStore(root);
    const anon = vs.create();
    writeFileSync(join(anon.mountpoint, 'f'), Buffer.alloc(3000));
    const used = vs.create();
    vs.create('mdk-test-named');
    const r = vs.prune([user('c', [used.name])], false);
    assert.deepEqual(r, { deleted: [anon.name], bytes: 3000 });
    assert.deepEqual(vs.prune([user('c', [used.name])], true).deleted, ['mdk-test-named']);
    assert.ok(existsSync(used.mountpoint));
    vs.remove(used.name, []);
  });

  test('disk usage counts files once and does not follow symlinks', () => {
    const dir = mkdtempSync(join(root, 'du-'));
    writeFileSync(join(dir, 'a'), Buffer.alloc(1000));
    symlinkSync('/etc', join(dir, 'l'));
    assert.equal(diskUsage(dir), 1000 + '/etc'.length);
  });
});
