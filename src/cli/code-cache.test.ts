import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
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

  test('compiled eagerly: the cache holds the functions that never ran, and V8 accepts it in a lazy process', () => {
    // functions of their own, so that neither V8's in-process cache nor an earlier test compiled them
    const many = Array.from({ length: 40 }, (_, i) => `function unused${i}(a) { const b = [a, ${i}].map((x) => x + 1); if (b.length > ${i}) return b.join(); return String(b[0] * ${i}); }`).join('\n');
    const source = `${many}\nmodule.exports = { twice: (x) => x * 2, u: unused0 };\n`;
    // the same code twice, told apart by a comment: V8 compiles a source it has seen once only (its in-process cache)
    writeFileSync(file, `${source}// lazy\n`);
    const lazySize = compileModule(file, undefined).script.createCachedData().length;
    writeFileSync(file, `${source}// eager\n`);
    const eager = compileModule(file, undefined, setFlagsFromString);
    const eagerSize = writeCache(eager.script, file);
    assert.ok(eagerSize > lazySize * 1.5, `eager cache ${eagerSize} bytes, lazy ${lazySize}`);
    const again = compileModule(file, readCache(file));
    assert.equal(again.script.cachedDataRejected, false, 'V8 is lazy again: the flags that decide acceptance are restored');
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
