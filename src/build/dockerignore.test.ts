import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IgnoreRules } from './dockerignore.js';

test('.dockerignore: Docker pattern rules', () => {
  const r = IgnoreRules.parse('# comment\n\n*.log\n/build\ndocs/**/*.md\n!docs/keep.md\ntmp?\n[ab].txt\nnode_modules\n');
  assert.equal(r.excludes('x.log'), true);
  assert.equal(r.excludes('sub/x.log'), false, '* does not cross /');
  assert.equal(r.excludes('build'), true);
  assert.equal(r.excludes('build/out/a.o'), true, 'a directory excludes what is under it');
  assert.equal(r.excludes('docs/a/b/c.md'), true);
  assert.equal(r.excludes('docs/c.md'), true, '** matches no directory too');
  assert.equal(r.excludes('docs/keep.md'), false, '! puts it back');
  assert.equal(r.excludes('tmp1'), true);
  assert.equal(r.excludes('tmp12'), false);
  assert.equal(r.excludes('a.txt'), true);
  assert.equal(r.excludes('c.txt'), false);
  assert.equal(r.excludes('node_modules/x/y.js'), true);
  assert.equal(r.excludes('src/main.ts'), false);
});

test('.dockerignore: the last matching pattern decides, and an excluded directory may hold an exception', () => {
  const r = IgnoreRules.parse('data\n!data/keep\n');
  assert.equal(r.excludes('data/drop'), true);
  assert.equal(r.excludes('data/keep'), false);
  assert.equal(r.mayInclude('data'), true);
  const again = IgnoreRules.parse('!a.txt\n*.txt\n');
  assert.equal(again.excludes('a.txt'), true);
  assert.equal(IgnoreRules.parse('**/.git\n').excludes('x/.git/config'), true);
});

test('.dockerignore without rules (none, or comments only) excludes nothing', () => {
  for (const r of [IgnoreRules.none(), IgnoreRules.parse('# only a comment\n\n')]) {
    assert.equal(r.empty, true);
    for (const p of ['a', 'a/b/c.txt', '.git/config', 'Dockerfile']) assert.equal(r.excludes(p), false, p);
  }
});
