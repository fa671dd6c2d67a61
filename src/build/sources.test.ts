import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { IgnoreRules } from './dockerignore.js';
import { findSources, type SourceRoot, sourcesDigest, statDir } from './sources.js';

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

test('statDir lists a directory with what lstat says of each entry, in name order', () => {
  utimesSync(join(dir, 'b.txt'), new Date(1_700_000_000_123), new Date(1_600_000_000_456));
  const got = statDir(dir);
  assert.deepEqual(got.map((e) => e.name), readdirSync(dir).sort());
  for (const { name, st } of got) {
    const want = lstatSync(join(dir, name));
    for (const k of ['mode', 'uid', 'gid', 'size', 'nlink', 'ino', 'dev'] as const) assert.equal(st[k], want[k], `${name} ${k}`);
    assert.ok(Math.abs(st.mtimeMs - want.mtimeMs) < 1e-3, `${name} mtime ${st.mtimeMs} ${want.mtimeMs}`);
    assert.ok(Math.abs(st.ctimeMs - want.ctimeMs) < 1e-3, `${name} ctime`);
  }
  assert.equal(got.find((e) => e.name === 'b.txt')!.st.mtimeMs, 1_600_000_000_456);
  assert.equal(got.find((e) => e.name === 'out')!.st.mode & 0o170000, 0o120000, 'a symlink is not followed');
  assert.throws(() => statDir(join(dir, 'a.txt')), { code: 'ENOTDIR' });
});

test('a file changed in place changes the digest (no stale listing)', () => {
  const before = sourcesDigest(findSources(root, ['src'], fail));
  writeFileSync(join(dir, 'src/deep/c.js'), 'd');
  assert.notEqual(sourcesDigest(findSources(root, ['src'], fail)), before);
});
