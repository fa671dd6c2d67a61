import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DigestMemo, fileStamp } from './digest-memo.js';

const dir = mkdtempSync('/tmp/mdk-test-memo-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('a digest is computed once per stamp, kept across builds; a racy file (ctime just now) is not kept; a bad file is an empty memo', () => {
  const file = join(dir, 'memo.json');
  const f = join(dir, 'f');
  writeFileSync(f, 'one');
  const st = lstatSync(f);
  let computed = 0;
  const compute = () => `d${++computed}`;
  const later = () => st.ctimeMs + 10_000;
  const m = new DigestMemo(file, later);
  assert.equal(m.digest(f, fileStamp(st), st.ctimeMs, compute), 'd1');
  assert.equal(m.digest(f, fileStamp(st), st.ctimeMs, compute), 'd1');
  m.save();
  const again = new DigestMemo(file, later);
  assert.equal(again.digest(f, fileStamp(st), st.ctimeMs, compute), 'd1');
  assert.equal(computed, 1);
  // written since: another stamp, computed again
  writeFileSync(f, 'two');
  const st2 = lstatSync(f);
  assert.notEqual(fileStamp(st2), fileStamp(st));
  assert.equal(again.digest(f, fileStamp(st2), st2.ctimeMs, compute), 'd2');
  // racy: changed within the last two seconds, not kept
  const racy = new DigestMemo(join(dir, 'racy.json'), () => st2.ctimeMs + 500);
  assert.equal(racy.digest(f, fileStamp(st2), st2.ctimeMs, compute), 'd3');
  assert.equal(racy.digest(f, fileStamp(st2), st2.ctimeMs, compute), 'd4');
  writeFileSync(file, '{not json');
  assert.equal(new DigestMemo(file, later).digest(f, fileStamp(st), st.ctimeMs, compute), 'd5');
});

test("open: a process keeps the memo it read or wrote while the file is unchanged; another writer's file is read again; a changed source (content with its mtime put back, mode, mtime) is computed again", async () => {
  const file = join(dir, 'shared.json');
  const f = join(dir, 'g');
  writeFileSync(f, 'same size');
  const old = lstatSync(f);
  // not racy: the ctime must be over two seconds old for the memo to keep it
  await new Promise((r) => setTimeout(r, 2100));
  let computed = 0;
  const compute = () => `c${++computed}`;
  const digest = (m: DigestMemo) => {
    const st = lstatSync(f);
    return m.digest(f, fileStamp(st), st.ctimeMs, compute);
  };
  const a = DigestMemo.open(file);
  assert.equal(digest(a), 'c1');
  // held in memory: the same memo, with what it learned before saving
  assert.equal(DigestMemo.open(file), a);
  assert.equal(digest(DigestMemo.open(file)), 'c1');
  a.save();
  assert.equal(DigestMemo.open(file), a, 'the file it wrote itself is still its own');
  // the same size and mtime, other content: the ctime tells
  writeFileSync(f, 'SAME SIZE');
  utimesSync(f, old.atime, old.mtime);
  assert.equal(digest(a), 'c2');
  chmodSync(f, 0o700);
  assert.equal(digest(a), 'c3');
  utimesSync(f, new Date(0), new Date(0));
  assert.equal(digest(a), 'c4');
  // another process wrote the file: read again (its entries, not ours)
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(file, JSON.stringify({ v: 1, entries: [] }));
  const b = DigestMemo.open(file);
  assert.notEqual(b, a);
  assert.equal(digest(b), 'c5');
});
