import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyLayerKey } from './cache.js';
import type { Item, Source } from './sources.js';

const item = (over: Partial<Item> = {}): Item => ({ rel: 'a.txt', kind: 'file', path: '/ctx/a.txt', mode: 0o644, uid: 1000, gid: 1000, size: 3, mtime: 1_700_000_000, inode: '1:2', nlink: 1, ...over });
const source = (items: Item[]): Source => ({ name: 'app', isDir: true, items });
const plan = (over: Partial<Parameters<typeof copyLayerKey>[1]> = {}) => ({ kind: 'COPY' as const, dest: '/app/', multiple: false, owner: { uid: 0, gid: 0 }, sources: [source([item()])], ...over });

test('the COPY layer key: the same inputs the same key; any input the tar is made of another', () => {
  const layers = ['/s/layers/a/diff'];
  const k = copyLayerKey(layers, plan(), 'sha256:c');
  assert.equal(copyLayerKey(layers, plan(), 'sha256:c'), k);
  // not what the tar does not hold: the item's host path
  assert.equal(copyLayerKey(layers, plan({ sources: [source([item({ path: '/elsewhere/a.txt' })])] }), 'sha256:c'), k);
  const others = [
    copyLayerKey(['/s/layers/b/diff'], plan(), 'sha256:c'),
    copyLayerKey(layers, plan(), 'sha256:d'),
    copyLayerKey(layers, plan({ dest: '/srv/' }), 'sha256:c'),
    copyLayerKey(layers, plan({ multiple: true }), 'sha256:c'),
    copyLayerKey(layers, plan({ owner: { uid: 1, gid: 0 } }), 'sha256:c'),
    copyLayerKey(layers, plan({ chmod: 0o755 }), 'sha256:c'),
    ...(['rel', 'mode', 'uid', 'gid', 'size', 'mtime', 'inode', 'nlink'] as const).map((f) =>
      copyLayerKey(layers, plan({ sources: [source([item({ [f]: f === 'rel' || f === 'inode' ? 'x' : 7 })])] }), 'sha256:c'),
    ),
    copyLayerKey(layers, plan({ sources: [source([item({ kind: 'symlink', target: 'b' })])] }), 'sha256:c'),
    copyLayerKey(layers, plan({ sources: [{ ...source([item()]), name: 'other' }] }), 'sha256:c'),
  ];
  assert.equal(new Set([k, ...others]).size, others.length + 1);
});
