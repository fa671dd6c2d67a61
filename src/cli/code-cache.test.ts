import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { compileModule, evaluate, readCache, writeCache } from './code-cache.js';

describe('code cache of a CommonJS bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-code-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'b.cjs');
  writeFileSync(file, '#!/usr/bin/env node\nconst path = require("node:path");\nfunction twice(x) { return x * 2; }\nmodule.exports = { twice, base: path.basename(__filename), dir: __dirname };\n');
  const req = createRequire(file);

  test('without a cache: compiled from source, evaluated as CommonJS (shebang, require, __filename)', () => {
    assert.equal(readCache(file), undefined);
    const { fn } = compileModule(file, undefined);
    const m = evaluate(fn, file, dir, req) as { twice: (x: number) => number; base: string; dir: string };
    assert.equal(m.twice(21), 42);
    assert.equal(m.base, 'b.cjs');
    assert.equal(m.dir, dir);
  });

  test('a cache written after a run is read back and accepted by V8', () => {
    const { script, fn } = compileModule(file, undefined);
    (evaluate(fn, file, dir, req) as { twice: (x: number) => number }).twice(1);
    assert.ok(writeCache(script, file) > 0);
    const cache = readCache(file);
    assert.ok(cache);
    const again = compileModule(file, cache);
    assert.equal(again.script.cachedDataRejected, false);
    assert.equal((evaluate(again.fn, file, dir, req) as { twice: (x: number) => number }).twice(4), 8);
  });

  test("the cache of an older build is rejected, and the new bundle runs", () => {
    // the bundle rebuilt, its cache from before (this source is new to V8's in-process cache too)
    writeFileSync(file, 'module.exports = { twice: (x) => x * 2 + 0 };\n');
    const { script, fn } = compileModule(file, readCache(file));
    assert.equal(script.cachedDataRejected, true);
    assert.equal((evaluate(fn, file, dir, req) as { twice: (x: number) => number }).twice(5), 10);
  });
});
