import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BackgroundRemoval } from './background-removal.js';

test('BackgroundRemoval: the directory is gone from its place at once, its files once settled; what an earlier one left is swept', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-unit-removal-'));
  try {
    const removing = join(root, 'removing');
    mkdirSync(join(removing, 'left-by-a-killed-service', 'sub'), { recursive: true });
    const r = new BackgroundRemoval(removing);
    const dir = join(root, 'containers', 'c1');
    mkdirSync(join(dir, 'diff', 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'diff', 'a', 'b', 'file'), 'x');
    r.remove(dir);
    assert.equal(existsSync(dir), false, 'moved aside at once');
    r.remove(join(root, 'containers', 'none')); // nothing there: nothing to do
    r.sweep();
    await r.settled();
    assert.equal(r.size, 0);
    assert.deepEqual(readdirSync(removing), [], 'every file gone, the earlier leftovers too');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
