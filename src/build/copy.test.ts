import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import type { TarWriterEntry } from '../images/tar/tar-writer.js';
import { addSourcesByKind, copyLookups, type CopyPlan, type KindOf } from './copy.js';

/** the entries written, as "kind name uid:gid" */
function recorder(): { lines: string[]; w: Parameters<typeof addSourcesByKind>[0] } {
  const lines: string[] = [];
  const put = (kind: string) => async (e: TarWriterEntry) => void lines.push(`${kind} ${String(e.name)} ${e.uid ?? 0}:${e.gid ?? 0}`);
  return {
    lines,
    w: { addFile: put('file'), addDirectory: put('dir'), addSymlink: put('symlink'), addHardlink: put('link'), addNode: put('node'), finish: async () => {} },
  };
}

const plan = (over: Partial<CopyPlan>): CopyPlan => ({
  kind: 'COPY',
  sources: [],
  downloads: [],
  heredocs: [{ name: 'f', body: 'x' }],
  dest: '/a/b/',
  multiple: false,
  fail: (m) => new MobyDickError('BUILD', m),
  ...over,
});

describe('COPY as told by a lookup of the step root (rootless: the lookups answered in the user namespace)', () => {
  test('copyLookups: the destination and every directory above it, outermost first; none for /', () => {
    assert.deepEqual(copyLookups('/a/b/c/'), ['/a', '/a/b', '/a/b/c']);
    assert.deepEqual(copyLookups('/x'), ['/x']);
    assert.deepEqual(copyLookups('/'), []);
  });

  test('addSourcesByKind: the missing directories made (the last one owned as --chown says), asking only about copyLookups', async () => {
    const asked: string[] = [];
    const kinds: Record<string, ReturnType<KindOf>> = { '/a': 'dir', '/a/b': 'none' };
    const kindOf: KindOf = (p) => {
      asked.push(p);
      return kinds[p] ?? 'none';
    };
    const r = recorder();
    await addSourcesByKind(r.w, kindOf, plan({ owner: { uid: 1234, gid: 5678 } }));
    assert.deepEqual(r.lines, ['dir a/b 1234:5678', 'file a/b/f 1234:5678']);
    for (const p of asked) assert.ok(copyLookups('/a/b/').includes(p), `${p} was looked up`);
  });

  test('addSourcesByKind: a destination that is a file of the root is written over, not into', async () => {
    const r = recorder();
    await addSourcesByKind(r.w, (p) => (p === '/a/b' ? 'other' : 'dir'), plan({ dest: '/a/b', owner: { uid: 0, gid: 0 } }));
    assert.deepEqual(r.lines, ['file a/b 0:0']);
  });
});
