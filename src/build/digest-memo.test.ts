import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
