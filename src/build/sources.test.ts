import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { IgnoreRules } from './dockerignore.js';
import { findSources, type SourceRoot, sourcesDigest } from './sources.js';

const dir = mkdtempSync(join(tmpdir(), 'mdk-test-sources-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'src/deep'), { recursive: true });
writeFileSync(join(dir, 'a.txt'), 'a');
writeFileSync(join(dir, 'b.txt'), 'b');
writeFileSync(join(dir, 'src/deep/c.js'), 'c');
writeFileSync(join(dir, 'src/skip.log'), 'log');
symlinkSync('/etc', join(dir, 'out'));
symlinkSync('src', join(dir, 'inside'));
const root: SourceRoot = { path: dir, label: 'build context', strict: true, ignore: IgnoreRules.parse('**/*.log\n') };
const fail = (m: string) => new MobyDickError('BUILD', m);

test('wildcards, directories and .dockerignore', () => {
  const s = findSources(root, ['*.txt', 'src'], fail);
  assert.deepEqual(s.map((x) => x.name), ['a.txt', 'b.txt', 'src']);
  assert.deepEqual(s[2]!.items.map((i) => i.rel), ['', 'deep', 'deep/c.js']);
  assert.deepEqual(findSources(root, ['inside/deep/c.js'], fail)[0]!.items[0]!.kind, 'file', 'a symlink inside the context is followed');
  assert.throws(() => findSources(root, ['nope*'], fail), /nope\*: not found in the build context \(or excluded by \.dockerignore\)/);
});

test('sources outside the context are refused', () => {
  assert.throws(() => findSources(root, ['../x'], fail), /forbidden path outside the build context/);
  assert.throws(() => findSources(root, ['/etc/passwd'], fail), /absolute source is outside the build context/);
  assert.throws(() => findSources(root, ['out/passwd'], fail), /out is a symlink out of the build context/);
});

test('the content digest ignores mtimes and sees contents', () => {
  const before = sourcesDigest(findSources(root, ['src', 'a.txt'], fail));
  utimesSync(join(dir, 'a.txt'), new Date(1000), new Date(1000));
  assert.equal(sourcesDigest(findSources(root, ['src', 'a.txt'], fail)), before);
  writeFileSync(join(dir, 'a.txt'), 'changed');
  assert.notEqual(sourcesDigest(findSources(root, ['src', 'a.txt'], fail)), before);
});
