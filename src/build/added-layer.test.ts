import assert from 'node:assert/strict';
import { chmodSync, chownSync, closeSync, constants as fsc, lstatSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { EntryWriter, TarWriterEntry } from '../images/tar/tar-writer.js';
import { AddedLayerConflict, AddedLayerWriter } from './added-layer.js';

/** what reaches the tar: "kind name mode uid:gid mtime" */
function recorder(): { w: EntryWriter; out: string[] } {
  const out: string[] = [];
  const line = (kind: string, e: TarWriterEntry) => out.push(`${kind} ${String(e.name)} ${(e.mode ?? 0).toString(8)} ${e.uid ?? 0}:${e.gid ?? 0} ${e.mtime ?? 0}`);
  const w: EntryWriter = {
    addFile: async (e) => void line('file', e),
    addDirectory: async (e) => void line('dir', e),
    addSymlink: async (e) => void line('symlink', e),
    addHardlink: async (e) => void line('hardlink', e),
    addNode: async (e) => void line('node', e),
    finish: async () => {},
  };
  return { w, out };
}

describe('AddedLayerWriter', () => {
  const base = mkdtempSync('/tmp/mdk-test-added-layer-');
  after(() => rmSync(base, { recursive: true, force: true }));
  // the image: /etc (0750, mtime 1000) with /etc/passwd, /data a symlink to /etc, /bin a file
  const image = join(base, 'image');
  mkdirSync(join(image, 'etc'), { recursive: true });
  writeFileSync(join(image, 'etc', 'passwd'), 'root:x:0:0::/:/bin/sh\n');
  chmodSync(join(image, 'etc'), 0o750);
  utimesSync(join(image, 'etc'), 1000, 1000);
  symlinkSync('/etc', join(image, 'data'));
  writeFileSync(join(image, 'bin'), '');
  // /etc's owner not the tar's default 0:0: 7:8 as root, else whoever runs the test
  if (process.getuid?.() === 0) chownSync(join(image, 'etc'), 7, 8);
  const owner = `${lstatSync(join(image, 'etc')).uid}:${lstatSync(join(image, 'etc')).gid}`;
  const withRoot = async (fn: (root: number) => Promise<void>) => {
    const root = openSync(image, fsc.O_RDONLY | fsc.O_DIRECTORY);
    try {
      await fn(root);
    } finally {
      closeSync(root);
    }
  };

  test('the image\'s directories above an entry come first, once, as the image has them; below a new directory nothing is looked up', async () => {
    await withRoot(async (root) => {
      const { w, out } = recorder();
      const a = new AddedLayerWriter(w, root);
      await a.addDirectory({ name: 'etc/app', mode: 0o755, mtime: 5 });
      await a.addFile({ name: 'etc/app/conf', mode: 0o644, mtime: 6 }, Buffer.from('x'));
      await a.addFile({ name: '/etc/passwd', mode: 0o600, mtime: 7 }, Buffer.from('y'));
      await a.addDirectory({ name: 'new/', mode: 0o700, uid: 1, gid: 2 });
      await a.addSymlink({ name: 'new/link' }, '/etc');
      assert.deepEqual(out, [
        `dir etc 750 ${owner} 1000`,
        'dir etc/app 755 0:0 5',
        'file etc/app/conf 644 0:0 6',
        'file etc/passwd 600 0:0 7',
        'dir new 700 1:2 0',
        'symlink new/link 0 0:0 0',
      ]);
    });
  });

  test('where extraction into the image would differ from the tar: AddedLayerConflict', async () => {
    const cases: [string, (a: AddedLayerWriter) => Promise<void>][] = [
      ['a symlink of the image on the way', (a) => a.addFile({ name: 'data/x' }, Buffer.from(''))],
      ['a file of the image on the way', (a) => a.addFile({ name: 'bin/x' }, Buffer.from(''))],
      ['a directory over a file', (a) => a.addDirectory({ name: 'bin' })],
      ['a directory over a symlink', (a) => a.addDirectory({ name: 'data' })],
      ['a file over a directory', (a) => a.addFile({ name: 'etc' }, Buffer.from(''))],
      ['a directory neither made', (a) => a.addFile({ name: 'nowhere/x' }, Buffer.from(''))],
      ['below a new directory, one not made', async (a) => {
        await a.addDirectory({ name: 'n' });
        await a.addFile({ name: 'n/m/x' }, Buffer.from(''));
      }],
    ];
    for (const [what, fn] of cases) {
      await withRoot(async (root) => {
        await assert.rejects(fn(new AddedLayerWriter(recorder().w, root)), AddedLayerConflict, what);
      });
    }
  });

  test('a file over a file of the image, and a symlink over one, are plain replacements', async () => {
    await withRoot(async (root) => {
      const { w, out } = recorder();
      const a = new AddedLayerWriter(w, root);
      await a.addSymlink({ name: 'bin' }, 'busybox');
      await a.addFile({ name: 'etc/passwd' }, Buffer.from(''));
      assert.deepEqual(out, ['symlink bin 0 0:0 0', `dir etc 750 ${owner} 1000`, 'file etc/passwd 0 0:0 0']);
    });
  });
});
