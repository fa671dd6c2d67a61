import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeCgroupDirs } from './cgroup.js';
import { dropUnfilledParent, fillingDirOps, mkdirFilled, type ParentOps, sweepTemporaries } from './shared-parent.js';

/** directories in a Set, with cgroupfs's rules: rmdir only when empty, rename never over one that is there */
function fakeFs(have: string[]) {
  const dirs = new Set(have);
  const log: string[] = [];
  const err = (code: string, d: string) => Object.assign(new Error(`${code}: ${d}`), { code });
  const parentOf = (d: string) => d.slice(0, d.lastIndexOf('/')) || '/';
  const ops: ParentOps = {
    mkdir: (d) => {
      if (!dirs.has(parentOf(d))) throw err('ENOENT', d);
      if (dirs.has(d)) throw err('EEXIST', d);
      dirs.add(d);
      log.push(`mkdir ${d}`);
    },
    rename: (from, to) => {
      if (dirs.has(to)) throw err('ENOTEMPTY', to);
      dirs.delete(from);
      dirs.add(to);
      log.push(`rename ${from} ${to}`);
    },
    rmdir: (d) => {
      if ([...dirs].some((x) => x.startsWith(`${d}/`))) throw err('EBUSY', d);
      if (!dirs.delete(d)) throw err('ENOENT', d);
      log.push(`rmdir ${d}`);
    },
    list: (d) => {
      if (!dirs.has(d)) throw err('ENOENT', d);
      return [...dirs].filter((x) => x !== d && parentOf(x) === d).map((x) => x.slice(d.length + (d === '/' ? 0 : 1)));
    },
  };
  return { dirs, log, ops };
}

describe('mkdirFilled', () => {
  test('filled under a temporary name, then renamed into place: never seen half filled', () => {
    const f = fakeFs(['/', '/cg']);
    mkdirFilled('/cg/jail', (d) => f.log.push(`fill ${d}`), 'x1', f.ops);
    assert.deepEqual(f.log, ['mkdir /cg/jail.x1', 'fill /cg/jail.x1', 'rename /cg/jail.x1 /cg/jail']);
    assert.deepEqual([...f.dirs].sort(), ['/', '/cg', '/cg/jail']);
  });

  test('made by another meanwhile: the temporary one goes, and it reads as EEXIST (as mkdir would)', () => {
    const f = fakeFs(['/', '/cg']);
    assert.throws(
      () => mkdirFilled('/cg/jail', () => f.dirs.add('/cg/jail'), 'x1', f.ops),
      (e: NodeJS.ErrnoException) => e.code === 'EEXIST',
    );
    assert.deepEqual([...f.dirs].sort(), ['/', '/cg', '/cg/jail']);
  });

  test('a fill that fails removes the temporary directory and says why', () => {
    const f = fakeFs(['/', '/cg']);
    assert.throws(() => mkdirFilled('/cg/jail', () => { throw new Error('mdk-test: refused'); }, 'x1', f.ops), /mdk-test: refused/);
    assert.deepEqual([...f.dirs].sort(), ['/', '/cg']);
  });

  test('through makeCgroupDirs: only the shared parent is filled, the container\'s directory is a plain mkdir', () => {
    const f = fakeFs(['/', '/cg']);
    const created: string[] = [];
    makeCgroupDirs('/cg/jail/c1', created, fillingDirOps('/cg/jail', (d) => f.log.push(`fill ${d}`), 'c1', f.ops));
    assert.deepEqual(f.log, ['mkdir /cg/jail.c1', 'fill /cg/jail.c1', 'rename /cg/jail.c1 /cg/jail', 'mkdir /cg/jail/c1']);
    assert.deepEqual(created, ['/cg/jail', '/cg/jail/c1']);
  });
});

describe('dropUnfilledParent', () => {
  test('no other cgroup in the parent: both go, to be made again whole', () => {
    const f = fakeFs(['/', '/cg', '/cg/jail', '/cg/jail/c1']);
    assert.equal(dropUnfilledParent('/cg/jail/c1', f.ops), 'parent');
    assert.deepEqual([...f.dirs].sort(), ['/', '/cg']);
  });

  test('another container in the parent: the parent stays', () => {
    const f = fakeFs(['/', '/cg', '/cg/jail', '/cg/jail/c1', '/cg/jail/c2']);
    assert.equal(dropUnfilledParent('/cg/jail/c1', f.ops), 'dir');
    assert.ok(f.dirs.has('/cg/jail') && f.dirs.has('/cg/jail/c2'));
  });

  test('a directory that cannot go is kept', () => {
    const f = fakeFs(['/', '/cg', '/cg/jail', '/cg/jail/c1', '/cg/jail/c1/sub']);
    assert.equal(dropUnfilledParent('/cg/jail/c1', f.ops), 'kept');
    assert.ok(f.dirs.has('/cg/jail/c1'));
  });
});

describe('sweepTemporaries', () => {
  const gone = (suffix: string) => suffix.startsWith('dead');

  test('temporary parents whose maker is gone go; a living maker\'s, one with a cgroup in it, and other names stay', () => {
    const f = fakeFs(['/', '/cg', '/cg/jail.dead1', '/cg/jail.dead2', '/cg/jail.dead2/x', '/cg/jail.live1', '/cg/jailer.dead3', '/cg/other']);
    assert.deepEqual(sweepTemporaries('/cg/jail', gone, f.ops), ['/cg/jail.dead1']);
    assert.deepEqual([...f.dirs].sort(), ['/', '/cg', '/cg/jail.dead2', '/cg/jail.dead2/x', '/cg/jail.live1', '/cg/jailer.dead3', '/cg/other']);
  });

  test('no hierarchy directory: nothing to sweep', () => {
    const f = fakeFs(['/']);
    assert.deepEqual(sweepTemporaries('/cg/jail', gone, f.ops), []);
  });

  test('when the parent is made: the stale ones go first, then it is filled and renamed', () => {
    const f = fakeFs(['/', '/cg', '/cg/jail.dead1']);
    const created: string[] = [];
    makeCgroupDirs('/cg/jail/c1', created, fillingDirOps('/cg/jail', (d) => f.log.push(`fill ${d}`), 'c1', f.ops, gone));
    assert.deepEqual(f.log, ['rmdir /cg/jail.dead1', 'mkdir /cg/jail.c1', 'fill /cg/jail.c1', 'rename /cg/jail.c1 /cg/jail', 'mkdir /cg/jail/c1']);
    assert.deepEqual([...f.dirs].sort(), ['/', '/cg', '/cg/jail', '/cg/jail/c1']);
  });

  test('without STALE nothing is swept (a cgroup that is not the jail\'s)', () => {
    const f = fakeFs(['/', '/cg', '/cg/jail.dead1']);
    mkdirFilled('/cg/jail', () => undefined, 'c1', f.ops);
    assert.ok(f.dirs.has('/cg/jail.dead1'));
  });
});
