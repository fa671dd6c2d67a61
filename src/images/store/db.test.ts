import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from './db.js';

const dir = mkdtempSync('/tmp/mdk-test-db-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('a statement is prepared once a connection and works each time it is taken again', () => {
  const db = openDatabase(join(dir, 'images.db'));
  try {
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
    const sql = 'INSERT INTO t (k, v) VALUES (?, ?)';
    assert.equal(db.prepare(sql), db.prepare(sql));
    for (let i = 0; i < 3; i++) db.prepare(sql).run(`k${i}`, i);
    assert.notEqual(db.prepare('SELECT v FROM t WHERE k = ?'), db.prepare('SELECT k FROM t WHERE v = ?'));
    assert.deepEqual(db.prepare('SELECT v FROM t WHERE k = ?').get('k2'), { v: 2 });
    assert.deepEqual(db.prepare('SELECT k FROM t ORDER BY k').all(), [{ k: 'k0' }, { k: 'k1' }, { k: 'k2' }]);
    // inside a transaction, and pragmas (not through prepare) as before
    db.transaction(() => db.prepare(sql).run('k3', 3)).immediate();
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 4 });
  } finally {
    db.close();
  }
});
