import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GatheringFileWriter } from './gathering-file-writer.js';

const dir = mkdtempSync('/tmp/mdk-test-gather-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('small and large writes land in order, whole; the file has the mode asked for; an existing file is refused', async () => {
  const path = join(dir, 'out');
  const w = new GatheringFileWriter(path, 0o640);
  const parts: Buffer[] = [];
  for (let i = 0; i < 5000; i++) parts.push(Buffer.from(`piece ${i}\n`));
  parts.push(Buffer.alloc(3 << 20, 7), Buffer.from('tail'));
  for (const p of parts) if (!w.write(p)) await new Promise((r) => w.once('drain', r));
  w.end();
  await finished(w);
  assert.deepEqual(readFileSync(path), Buffer.concat(parts));
  assert.equal(statSync(path).mode & 0o777, 0o640);
  assert.throws(() => new GatheringFileWriter(path), /EEXIST/);
});
