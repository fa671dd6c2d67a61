import assert from 'node:assert/strict';
import { chmodSync, chownSync, closeSync, constants as fsc, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { addonLoaded } from '../../test/helpers/fs-layer-syscalls.js';
import { NodeFsSyscalls } from '../../test/helpers/fs-syscalls.js';
import type { EntryWriter, TarWriterEntry } from '../images/tar/tar-writer.js';
import { AddedLayerConflict, AddedLayerWriter, withAddedLayer } from './added-layer.js';

/** the image's paths looked up with Node's fs: no addon */
const fsSys = new NodeFsSyscalls();

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
      const a = new AddedLayerWriter(w, root, fsSys);
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
        await assert.rejects(fn(new AddedLayerWriter(recorder().w, root, fsSys)), AddedLayerConflict, what);
      });
    }
  });

  test('a file over a file of the image, and a symlink over one, are plain replacements', async () => {
    await withRoot(async (root) => {
      const { w, out } = recorder();
      const a = new AddedLayerWriter(w, root, fsSys);
      await a.addSymlink({ name: 'bin' }, 'busybox');
      await a.addFile({ name: 'etc/passwd' }, Buffer.from(''));
      assert.deepEqual(out, ['symlink bin 0 0:0 0', `dir etc 750 ${owner} 1000`, 'file etc/passwd 0 0:0 0']);
    });
  });
});

describe('withAddedLayer, the overlay given in', () => {
  const base = mkdtempSync('/tmp/mdk-test-added-layer-mount-');
  after(() => rmSync(base, { recursive: true, force: true }));
  const top = join(base, 'top');
  const bottom = join(base, 'bottom');
  mkdirSync(join(top, 'etc'), { recursive: true });
  mkdirSync(bottom);
  const fds = () => readdirSync('/proc/self/fd').length;
  /** mounts nothing: the "overlay" is the topmost layer's directory, opened */
  const recording = () => {
    const mounted: string[][] = [];
    return Object.assign(new NodeFsSyscalls(), {
      mounted,
      mountOverlay(lower: readonly Buffer[], upper: Buffer | null, work: Buffer | null): number {
        assert.equal(upper, null, 'read-only: no upper');
        assert.equal(work, null);
        mounted.push(lower.map((l) => l.toString()));
        return openSync(top, fsc.O_RDONLY | fsc.O_DIRECTORY);
      },
    });
  };

  test('two layers or more: one read-only overlay of them, topmost first, closed after; the tar written from its entries', async () => {
    const sys = recording();
    const open = fds();
    let seen = -1;
    const size = await withAddedLayer(
      [top, bottom],
      async (w, root) => {
        seen = root;
        await w.addFile({ name: 'etc/app.conf', mode: 0o644 }, Buffer.from('x'));
      },
      async (tar) => statSync(tar).size,
      sys,
    );
    assert.deepEqual(sys.mounted, [[top, bottom]]);
    assert.ok(seen >= 0);
    assert.ok(size >= 3 * 512, 'a tar with the image\'s etc/ and the file');
    assert.equal(fds(), open, 'the overlay\'s fd is closed');
  });

  test('one layer is its own directory (no overlay); none takes the container\'s way', async () => {
    const sys = recording();
    assert.equal(await withAddedLayer([top], async (w) => w.addDirectory({ name: 'etc/new', mode: 0o755 }), async () => 'done', sys), 'done');
    await assert.rejects(withAddedLayer([], async () => {}, async () => 'done', sys), AddedLayerConflict);
    assert.deepEqual(sys.mounted, []);
  });

  test('a conflict found while producing closes the overlay and writes nothing', async () => {
    const sys = recording();
    const open = fds();
    await assert.rejects(withAddedLayer([top, bottom], async (w) => w.addFile({ name: 'etc' }, Buffer.from('')), async () => assert.fail('no tar'), sys), AddedLayerConflict);
    assert.equal(fds(), open);
  });
});

test('the addon was never loaded', () => {
  assert.equal(addonLoaded(), false);
});
