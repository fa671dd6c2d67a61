import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseDockerfile, parserIdentity } from './dockerfile.js';
import { ParseMemo } from './parse-memo.js';

const dir = mkdtempSync(join(tmpdir(), 'mdk-test-parse-memo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a Dockerfile parsed once is taken from the memo, in this process and the next; another text or parser parses again', async () => {
  const file = join(dir, 'parses.json');
  let calls = 0;
  const counted = (t: string) => {
    calls++;
    return parseDockerfile(t);
  };
  const text = 'FROM busybox\nRUN echo "a  b" \\\n  c\nCOPY --from=x a /b\n';
  const want = await parseDockerfile(text);
  const id = parserIdentity();
  assert.equal(parserIdentity(), id);
  const m = new ParseMemo(file, id);
  assert.deepEqual(await m.parse(text, counted), want);
  const got = await m.parse(text, counted);
  assert.deepEqual(got, want);
  assert.equal(calls, 1);
  got.instructions.pop(); // a caller's change does not reach the memo
  assert.deepEqual(await m.parse(text, counted), want);
  m.save();
  const next = new ParseMemo(file, id);
  assert.deepEqual(await next.parse(text, counted), want);
  assert.equal(calls, 1, 'read from the file');
  assert.deepEqual(await next.parse(`${text}CMD x\n`, counted), await parseDockerfile(`${text}CMD x\n`));
  assert.equal(calls, 2, 'another text');
  await new ParseMemo(file, 'another parser').parse(text, counted);
  assert.equal(calls, 3, 'another parser');
  writeFileSync(file, '{not json');
  await new ParseMemo(file, id).parse(text, counted);
  assert.equal(calls, 4, 'an unreadable memo is empty');
});
