import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { craftTar } from '../../test/helpers/tar-craft.js';
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

  test("ADD of a tar: its entries keep the archive's owners unless --chown (the context's root owner is not theirs)", async () => {
    const dir = mkdtempSync('/tmp/mdk-test-copy-');
    try {
      const tar = join(dir, 'a.tar');
      writeFileSync(tar, craftTar([{ name: 'd/x', data: 'x', mode: 0o640, uid: 42, gid: 43 }]));
      const source = { name: 'a.tar', isDir: false, items: [{ rel: '', kind: 'file' as const, path: tar, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, inode: '1:1', nlink: 1 }] };
      const r = recorder();
      await addSourcesByKind(r.w, () => 'dir', plan({ kind: 'ADD', heredocs: [], sources: [source], dest: '/t/', owner: { uid: 0, gid: 0 } }));
      assert.deepEqual(r.lines, ['file t/d/x 42:43']);
      const c = recorder();
      await addSourcesByKind(c.w, () => 'dir', plan({ kind: 'ADD', heredocs: [], sources: [source], dest: '/t/', owner: { uid: 7, gid: 8 }, chowned: true }));
      assert.deepEqual(c.lines, ['file t/d/x 7:8']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
