import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSystemPrune, pruneSelector } from '../../engine/system-prune.js';
import { pruneReport, pruneWarning } from './system-prune.js';

test("system prune's warning lists what goes, as Docker's", () => {
  assert.equal(pruneWarning(false, false), 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
  const all = pruneWarning(true, true);
  assert.match(all, /  - all anonymous volumes not used by at least one container\n/);
  assert.match(all, /  - all images without at least one container associated to them\n  - all build cache\n/);
});

test('system prune prints each kind deleted, then the total', () => {
  assert.equal(pruneReport({ containers: [], networks: [], volumes: [], images: [], bytes: 0 }), 'Total reclaimed space: 0B\n');
  assert.equal(
    pruneReport({ containers: ['c1'], networks: ['n1'], volumes: ['v1'], images: [{ untagged: ['busybox:latest'], deleted: 'sha256:1' }, { untagged: [], deleted: 'sha256:2' }], bytes: 4_261_234 }),
    'Deleted Containers:\nc1\n\nDeleted Networks:\nn1\n\nDeleted Volumes:\nv1\n\nDeleted Images:\nuntagged: busybox:latest\ndeleted: sha256:1\ndeleted: sha256:2\n\nTotal reclaimed space: 4.261MB\n',
  );
});

test('system prune filters: until keeps what is newer, label must match, label! must not; until with volumes is refused', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  const s = pruneSelector(new Map([['until', ['24h']], ['label', ['a']], ['label!', ['b=1']]]), now);
  const before = Date.parse('2025-12-31T00:00:00Z');
  assert.ok(s({ a: 'x' }, before));
  assert.ok(!s({ a: 'x' }, now - 1000), 'created within the last 24h');
  assert.ok(!s({}, before), 'no label a');
  assert.ok(!s({ a: 'x', b: '1' }, before), 'label! b=1');
  assert.ok(s({ a: 'x', b: '2' }, before));
  assert.throws(() => checkSystemPrune({ all: false, volumes: true, filters: new Map([['until', ['1h']]]) }), /the "until" filter is not supported with "--volumes"/);
  assert.throws(() => checkSystemPrune({ all: false, volumes: false, filters: new Map([['until', ['soon']]]) }), /invalid filter 'until=soon'/);
  checkSystemPrune({ all: false, volumes: true, filters: new Map([['label', ['a']]]) });
});
