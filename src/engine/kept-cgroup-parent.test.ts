import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KeptCgroupParents, type ParentDirOps } from './kept-cgroup-parent.js';

const ID = 'a'.repeat(64);

/** three "hierarchies" in a temporary tree, every call recorded */
function fakeTree(root: string, failMkdirIn?: string): { ops: ParentDirOps; calls: string[]; roots: string[] } {
  const roots = ['cpu', 'memory', 'unified'].map((h) => join(root, h));
  for (const r of roots) mkdirSync(r);
  const calls: string[] = [];
  const ops: ParentDirOps = {
    roots: () => roots,
    mkdir: (d) => {
      calls.push(`mkdir ${d.slice(root.length)}`);
      if (failMkdirIn && d.startsWith(join(root, failMkdirIn))) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      mkdirSync(d);
    },
    rmdir: (d) => {
      calls.push(`rmdir ${d.slice(root.length)}`);
      rmdirSync(d);
    },
  };
  return { ops, calls, roots };
}

test('KeptCgroupParents: the parent made once in every hierarchy, kept, and removed at release where empty', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-unit-kept-parent-'));
  try {
    const { ops, calls, roots } = fakeTree(root);
    mkdirSync(join(roots[1]!, 'engine')); // there already in one hierarchy
    const kept = new KeptCgroupParents(ops);
    assert.equal(kept.keeps(`/engine/${ID}`), false, 'not before keep');
    assert.equal(kept.keep(`/engine/${ID}`), true);
    assert.equal(kept.keep(`/engine/${'b'.repeat(64)}`), true);
    assert.deepEqual(calls, ['mkdir /cpu/engine', 'mkdir /memory/engine', 'mkdir /unified/engine'], 'one mkdir a hierarchy, the first time only');
    assert.equal(kept.keeps(`/engine/${ID}`), true);
    assert.equal(kept.keeps(`/other/${ID}`), false, 'another parent is not kept');
    for (const r of roots) assert.ok(existsSync(join(r, 'engine')));
    // a container still in one hierarchy: that one stays, the others go
    mkdirSync(join(roots[0]!, 'engine', ID));
    calls.length = 0;
    kept.release();
    assert.deepEqual(calls, ['rmdir /cpu/engine', 'rmdir /memory/engine', 'rmdir /unified/engine']);
    assert.deepEqual(roots.map((r) => existsSync(join(r, 'engine'))), [true, false, false]);
    assert.equal(kept.keeps(`/engine/${ID}`), false, 'kept no more after release');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('KeptCgroupParents: a parent that cannot be made everywhere is undone and not kept (removed with the last container, as before)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-unit-kept-parent-'));
  try {
    const { ops, calls, roots } = fakeTree(root, 'unified');
    const kept = new KeptCgroupParents(ops);
    assert.equal(kept.keep(`/engine/${ID}`), false);
    assert.equal(kept.keeps(`/engine/${ID}`), false);
    assert.deepEqual(roots.map((r) => existsSync(join(r, 'engine'))), [false, false, false], 'what it made is removed again');
    calls.length = 0;
    assert.equal(kept.keep(`/engine/${ID}`), false);
    assert.deepEqual(calls, [], 'not tried again');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('KeptCgroupParents: only the engine\'s one-level parent of a container\'s path', () => {
  const kept = new KeptCgroupParents({ roots: () => ['/nowhere'], mkdir: () => assert.fail('no mkdir'), rmdir: () => assert.fail('no rmdir') });
  assert.equal(kept.keep(`/${ID}`), false);
  assert.equal(kept.keep(`/a/b/${ID}`), false);
});
