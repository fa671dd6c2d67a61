/** The store's events table (util/event-log.ts's EventLog): in order, read after a sequence number and between times, bounded. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLog } from '../../util/event-log.js';
import { openDatabase } from './db.js';

test('events: appended in order, read after a sequence number and between times, the oldest beyond KEEP dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-events-'));
  const db = openDatabase(join(dir, 'images.db'));
  try {
    let t = 1_000_000_000_000_000_000n;
    const log = new EventLog(db, 150, () => (t += 1_000n));
    for (let i = 0; i < 300; i++) log.record('container', 'start', `c${i}`, { name: `n${i}`, gone: undefined });
    const kept = log.read(0, undefined, undefined, 10_000);
    assert.ok(kept.length >= 150 && kept.length < 250, `${kept.length} kept`);
    assert.equal(kept.at(-1)!.actor.id, 'c299');
    assert.deepEqual(kept.at(-1)!.actor.attributes, { name: 'n299' });
    assert.ok(kept.every((e, i) => i === 0 || e.seq > kept[i - 1]!.seq));
    assert.equal(log.lastSeq(), 300);
    assert.deepEqual(log.read(298).map((e) => e.actor.id), ['c298', 'c299']);
    const between = log.read(0, 1_000_000_000_000_000_000n + 290_000n, 1_000_000_000_000_000_000n + 292_000n);
    assert.deepEqual(between.map((e) => e.actor.id), ['c289', 'c290', 'c291']);
    assert.equal(typeof between[0]!.timeNano, 'bigint');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
