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

test('findSources lists copied directories with the statDir it is given (one call a directory), not the addon', () => {
  const listed: string[] = [];
  const fake = {
    statDir(path: Buffer): [string[], Float64Array] {
      listed.push(path.toString());
      const names = readdirSync(path.toString()).sort();
      const v = new Float64Array(names.length * 11);
      names.forEach((n, i) => {
        const st = lstatSync(join(path.toString(), n));
        v.set([st.mode, 4242, 4343, st.size, st.nlink, st.ino, st.dev, Math.floor(st.mtimeMs / 1000), 0, Math.floor(st.ctimeMs / 1000), 0], i * 11);
      });
      return [names, v];
    },
  };
  const [s] = findSources(root, ['src'], fail, fake);
  assert.deepEqual(listed, [join(dir, 'src'), join(dir, 'src/deep')]);
  const self = lstatSync(join(dir, 'src'));
  // the source itself is lstat'ed; what is under it comes from statDir
  assert.deepEqual(s!.items.map((i) => `${i.rel} ${i.kind} ${i.uid}:${i.gid}`), [` dir ${self.uid}:${self.gid}`, 'deep dir 4242:4343', 'deep/c.js file 4242:4343']);
});
