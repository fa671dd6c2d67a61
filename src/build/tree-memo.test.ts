import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { nativeAddon } from '../helper/native-addon.js';
import { IgnoreRules } from './dockerignore.js';
import { findSources, type Item, type SourceRoot, sourcesDigest, statDir } from './sources.js';
import { TreeMemo, WalkRecord } from './tree-memo.js';

const dir = mkdtempSync(join(tmpdir(), 'mdk-test-tree-memo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fail = (m: string) => new MobyDickError('BUILD', m);

/** a context of a few files in nested directories, and a root over it */
function context(name: string, ignore = ''): SourceRoot {
  const top = join(dir, name);
  mkdirSync(join(top, 'src/deep/deeper'), { recursive: true });
  writeFileSync(join(top, 'src/a.txt'), 'a');
  writeFileSync(join(top, 'src/deep/b.txt'), 'bb');
  writeFileSync(join(top, 'src/deep/deeper/c.txt'), 'ccc');
  writeFileSync(join(top, 'src/skip.log'), 'log');
  return { path: top, label: 'build context', strict: true, ignore: IgnoreRules.parse(ignore) };
}

/** the addon's calls, counted */
function counting() {
  const addon = nativeAddon();
  const sys = {
    listed: 0,
    relisted: 0,
    statDir(p: Buffer) {
      sys.listed++;
      return addon.statDir(p);
    },
    statDirs(p: readonly Buffer[]) {
      sys.relisted++;
      return addon.statDirs(p);
    },
  };
  return sys;
}

/** a memo whose clock is ahead: the files just written are not racy for it */
const later = () => new TreeMemo<Item>(50_000, () => Date.now() + 10_000);

test('statDirs answers, byte for byte, what a walk records of statDir', () => {
  const root = context('format');
  const record = new WalkRecord(0);
  for (const d of ['src', 'src/deep', 'src/deep/deeper']) statDir(join(root.path, d), nativeAddon(), record);
  const again = nativeAddon().statDirs(record.dirs);
  assert.ok(again);
  assert.equal(again.equals(Buffer.concat(record.parts)), true);
  assert.equal(nativeAddon().statDirs([Buffer.from(join(root.path, 'nope'))]), null, 'a directory gone: null');
  assert.equal(nativeAddon().statDirs([Buffer.from(join(root.path, 'src/a.txt'))]), null, 'not a directory: null');
  assert.equal(nativeAddon().statDirs([])!.length, 0);
});

test('an unchanged tree: the same items, listed again in one call, the same digest from the lines kept', () => {
  const root = context('same');
  const memo = later();
  const sys = counting();
  const [first] = findSources(root, ['src'], fail, sys, memo);
  const digest = sourcesDigest([first!], undefined, memo);
  assert.equal(sys.listed, 3);
  const [second] = findSources(root, ['src'], fail, sys, memo);
  assert.equal(second!.items, first!.items, 'the kept items');
  assert.equal(sys.listed, 3, 'no directory walked again');
  assert.equal(sys.relisted, 1);
  assert.ok(memo.linesOf(second!.items));
  assert.equal(sourcesDigest([second!], undefined, memo), digest);
  // the same as made without any memo
  assert.equal(sourcesDigest(findSources(root, ['src'], fail)), digest);
});

test('every change under the tree is seen: content in place, mode, a new or removed entry deep down, the directory itself', () => {
  const root = context('changes');
  const memo = later();
  const digestNow = () => sourcesDigest(findSources(root, ['src'], fail, nativeAddon(), memo), undefined, memo);
  let before = digestNow();
  assert.equal(digestNow(), before);
  const check = (what: string, change: () => void, changesDigest = true) => {
    change();
    const items = findSources(root, ['src'], fail, nativeAddon(), memo)[0]!.items;
    const fresh = findSources(root, ['src'], fail)[0]!.items;
    assert.deepEqual(items, fresh, `${what}: the items as a walk makes them`);
    const d = digestNow();
    if (changesDigest) assert.notEqual(d, before, what);
    assert.equal(d, sourcesDigest(findSources(root, ['src'], fail)), `${what}: the digest as made without a memo`);
    before = d;
  };
  const c = join(root.path, 'src/deep/deeper/c.txt');
  const st = statSync(c);
  check('content with the same size and mtime', () => {
    writeFileSync(c, 'CCC');
    utimesSync(c, st.atime, st.mtime);
  });
  check('mode', () => chmodSync(c, 0o600));
  check('a new file deep down', () => writeFileSync(join(root.path, 'src/deep/deeper/new.txt'), 'n'));
  check('a removed file', () => rmSync(join(root.path, 'src/deep/b.txt')));
  check('a new directory', () => mkdirSync(join(root.path, 'src/deep/more')));
  check('the copied directory\'s own mode', () => chmodSync(join(root.path, 'src'), 0o700), false);
  check('an mtime alone', () => utimesSync(c, new Date(1000), new Date(1000)), false);
});

test('.dockerignore is part of the key; the source dir as a whole is one tree', () => {
  const root = context('ignore');
  const memo = later();
  const all = findSources(root, ['src'], fail, nativeAddon(), memo)[0]!.items;
  const ignoring = { ...root, ignore: IgnoreRules.parse('**/*.log') };
  const some = findSources(ignoring, ['src'], fail, nativeAddon(), memo)[0]!.items;
  assert.notEqual(some, all);
  assert.deepEqual(some.map((i) => i.rel).filter((r) => r.endsWith('.log')), []);
  assert.equal(findSources(root, ['src'], fail, nativeAddon(), memo)[0]!.items, all, 'both kept');
  assert.equal(findSources(ignoring, ['src'], fail, nativeAddon(), memo)[0]!.items, some);
});

test('a tree written within the racy two seconds is not kept; nor one over the limit; the least used goes first', () => {
  const root = context('racy');
  const now = new TreeMemo<Item>();
  const a = findSources(root, ['src'], fail, nativeAddon(), now)[0]!.items;
  assert.notEqual(findSources(root, ['src'], fail, nativeAddon(), now)[0]!.items, a, 'just written: walked again');
  const small = new TreeMemo<Item>(5, () => Date.now() + 10_000);
  const big = findSources(root, ['src'], fail, nativeAddon(), small)[0]!.items;
  assert.ok(big.length > 5);
  assert.notEqual(findSources(root, ['src'], fail, nativeAddon(), small)[0]!.items, big, 'more items than the limit: not kept');
  // room for one tree of 7 items, not two
  const one = new TreeMemo<Item>(10, () => Date.now() + 10_000);
  const r1 = context('r1');
  const r2 = context('r2');
  const x1 = findSources(r1, ['src'], fail, nativeAddon(), one)[0]!.items;
  const x2 = findSources(r2, ['src'], fail, nativeAddon(), one)[0]!.items;
  assert.equal(x1.length, 7);
  assert.equal(findSources(r2, ['src'], fail, nativeAddon(), one)[0]!.items, x2, 'the last kept');
  assert.notEqual(findSources(r1, ['src'], fail, nativeAddon(), one)[0]!.items, x1, 'the first trimmed for it');
});
