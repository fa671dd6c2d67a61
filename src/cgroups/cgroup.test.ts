import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { CgroupManager, cgroupPath, type DirOps, enableControllers, makeCgroupDirs, oomKillCount, removalRetries } from './cgroup.js';
import { readCgroupLayout } from './layout.js';

/** A fake cgroupfs: directories get the files the kernel would give them. */
function fakeTree(root: string, files: string[], version: 1 | 2): void {
  mkdirSync(root, { recursive: true });
  for (const f of files) writeFileSync(join(root, f), '');
  if (version === 2) writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdk-test-cgfs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cgroupPath', () => {
  test('absolute as is, relative under the root, a default per container', () => {
    assert.equal(cgroupPath('/a/b', 'x'), '/a/b');
    assert.equal(cgroupPath('a/b', 'x'), '/a/b');
    assert.equal(cgroupPath(undefined, 'x'), '/moby-dick/x');
    assert.throws(() => cgroupPath('system.slice:docker:x', 'x'), /not a cgroupfs path/);
    assert.throws(() => cgroupPath('/a/../../b', 'x'), /not a cgroupfs path/);
  });
});

describe('makeCgroupDirs', () => {
  /** a tree of directories in a Set; REMOVE_AFTER: the parent is removed right after it is made, TIMES times */
  function tree(have: string[], vanishing?: { parent: string; times: number }) {
    const dirs = new Set(have);
    const made: string[] = [];
    const calls: string[] = [];
    const ops: DirOps = {
      mkdir: (d) => {
        calls.push(d);
        const parent = d.slice(0, d.lastIndexOf('/')) || '/';
        if (!dirs.has(parent)) throw Object.assign(new Error(`ENOENT: ${d}`), { code: 'ENOENT' });
        if (dirs.has(d)) throw Object.assign(new Error(`EEXIST: ${d}`), { code: 'EEXIST' });
        dirs.add(d);
        made.push(d);
        // another container's end takes the empty parent along, just after it was made
        if (vanishing && d === vanishing.parent && vanishing.times > 0) {
          vanishing.times--;
          dirs.delete(d);
        }
      },
    };
    return { dirs, made, calls, ops };
  }

  test('under parents that are there: one mkdir, nothing else asked', () => {
    const t = tree(['/', '/cg', '/cg/parent']);
    const created: string[] = [];
    makeCgroupDirs('/cg/parent/id', created, t.ops);
    assert.deepEqual(t.calls, ['/cg/parent/id']);
    assert.deepEqual(created, ['/cg/parent/id']);
  });

  test('a directory that is there already is not counted as made', () => {
    const t = tree(['/', '/cg', '/cg/parent', '/cg/parent/id']);
    const created: string[] = [];
    makeCgroupDirs('/cg/parent/id', created, t.ops);
    assert.deepEqual(created, []);
  });

  test('the parents it lacks, then the directory', () => {
    const t = tree(['/', '/cg']);
    const created: string[] = [];
    makeCgroupDirs('/cg/parent/id', created, t.ops);
    assert.deepEqual(created, ['/cg/parent', '/cg/parent/id']);
    assert.ok(t.dirs.has('/cg/parent/id'));
  });

  test('a parent removed meanwhile (its last container ended) is made again', () => {
    const t = tree(['/', '/cg'], { parent: '/cg/parent', times: 2 });
    const created: string[] = [];
    makeCgroupDirs('/cg/parent/id', created, t.ops);
    assert.ok(t.dirs.has('/cg/parent/id'));
    assert.deepEqual(t.made, ['/cg/parent', '/cg/parent', '/cg/parent', '/cg/parent/id']);
  });

  test('a parent that keeps vanishing: an error naming the directory after a few tries', () => {
    const t = tree(['/', '/cg'], { parent: '/cg/parent', times: 100 });
    assert.throws(() => makeCgroupDirs('/cg/parent/id', [], t.ops), /cgroup \/cg\/parent\/id: cannot create \(ENOENT\)/);
  });
});

describe('CgroupManager on a fake v1 tree', () => {
  test('finds a directory per hierarchy, fills an empty cpuset from its parent, writes limits, adds the process', () => {
    const layout = {
      version: 1 as const,
      v1: [
        { mountPoint: join(dir, 'memory'), controllers: ['memory'] },
        { mountPoint: join(dir, 'cpuset'), controllers: ['cpuset'] },
        { mountPoint: join(dir, 'freezer'), controllers: ['freezer'] },
      ],
      unified: null,
    };
    fakeTree(join(dir, 'memory'), [], 1);
    fakeTree(join(dir, 'cpuset'), [], 1);
    fakeTree(join(dir, 'freezer'), [], 1);
    writeFileSync(join(dir, 'cpuset', 'cpuset.cpus'), '0-1\n');
    writeFileSync(join(dir, 'cpuset', 'cpuset.mems'), '0\n');
    // the kernel makes a new cgroup's files itself; the fake has them ahead of time
    for (const sub of ['memory/mdk/c1', 'cpuset/mdk/c1', 'freezer/mdk/c1']) mkdirSync(join(dir, sub), { recursive: true });
    for (const f of ['memory.limit_in_bytes', 'cgroup.procs']) writeFileSync(join(dir, 'memory/mdk/c1', f), '');
    for (const d of ['cpuset/mdk', 'cpuset/mdk/c1']) for (const f of ['cpuset.cpus', 'cpuset.mems', 'cgroup.procs']) writeFileSync(join(dir, d, f), '');
    for (const f of ['freezer.state', 'cgroup.procs']) writeFileSync(join(dir, 'freezer/mdk/c1', f), 'THAWED');

    const m = new CgroupManager(layout);
    const p = m.create('/mdk/c1', { memory: { limit: 1000 } });
    assert.deepEqual(p.dirs, [join(dir, 'memory/mdk/c1'), join(dir, 'cpuset/mdk/c1'), join(dir, 'freezer/mdk/c1')]);
    assert.equal(readFileSync(join(dir, 'memory/mdk/c1/memory.limit_in_bytes'), 'utf8'), '1000');
    assert.equal(readFileSync(join(dir, 'cpuset/mdk/cpuset.cpus'), 'utf8'), '0-1', 'empty cpuset copied from the parent');
    assert.equal(readFileSync(join(dir, 'cpuset/mdk/c1/cpuset.mems'), 'utf8'), '0');
    m.addProcess(p, 42);
    assert.equal(readFileSync(join(dir, 'freezer/mdk/c1/cgroup.procs'), 'utf8'), '42');
    assert.equal(p.freezer, join(dir, 'freezer/mdk/c1'));
    assert.throws(() => m.apply(p, [{ controller: 'pids', file: 'pids.max', value: '1' }]), /this host has no pids cgroup controller/);
    assert.throws(() => m.apply(p, [{ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: '1' }]), /swap accounting is off/);
    // remove: the container's own directory that stays is named (delete reports it); a shared parent is not
    const own = join(dir, 'memory/mdk/c1');
    const parent = join(dir, 'memory/mdk');
    assert.deepEqual(m.remove({ ...p, created: [parent, own] }), [own], 'c1 still holds files: not removable');
    rmSync(own, { recursive: true });
    assert.deepEqual(m.remove({ ...p, created: [parent, own] }), [], 'gone, and the parent in use by others is not reported');
  });

  test('addProcessInPool: the pid in every hierarchy\'s cgroup.procs; a failed write is thrown once the others are done', async () => {
    const a = join(dir, 'memory/mdk/c2');
    const b = join(dir, 'pids/mdk/c2');
    for (const d of [a, b]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'cgroup.procs'), '');
    }
    const m = new CgroupManager({ version: 1, v1: [], unified: null });
    const p = { version: 1 as const, dirs: [a, b], created: [], freezer: null, byController: {} };
    await m.addProcessInPool(p, 4242);
    assert.equal(readFileSync(join(a, 'cgroup.procs'), 'utf8'), '4242');
    assert.equal(readFileSync(join(b, 'cgroup.procs'), 'utf8'), '4242');
    // cgroupfs files are opened without O_CREAT: a hierarchy without the file is an error naming it
    const missing = join(dir, 'blkio/mdk/c2');
    writeFileSync(join(a, 'cgroup.procs'), '');
    await assert.rejects(m.addProcessInPool({ ...p, dirs: [missing, a] }, 77), (e: Error) => e.message.includes(`${missing}/cgroup.procs`) && e.message.includes('ENOENT'));
    assert.equal(readFileSync(join(a, 'cgroup.procs'), 'utf8'), '77', 'the other write went through before the error was thrown');
  });

  test('removal waits for a container\'s own directories only, for a parent only a little, and not while it has children (v1: EBUSY then)', () => {
    const p = { version: 1 as const, dirs: ['/x/memory/mdk/c1'], created: ['/x/memory/mdk', '/x/memory/mdk/c1'], freezer: null, byController: {} };
    assert.equal(removalRetries(p, '/x/memory/mdk/c1', () => true), 200);
    assert.equal(removalRetries(p, '/x/memory/mdk', () => true), 0, 'another container\'s cgroup is in it');
    assert.equal(removalRetries(p, '/x/memory/mdk', () => false), 20, 'its last child just went: busy for a moment');
  });
});

describe('CgroupManager on a fake v2 tree', () => {
  test('enables controllers down the path, writes v2 files, freezes with cgroup.freeze', () => {
    const root = join(dir, 'unified');
    fakeTree(root, ['cgroup.subtree_control'], 2);
    mkdirSync(join(root, 'mdk/c2'), { recursive: true });
    writeFileSync(join(root, 'mdk/cgroup.controllers'), 'cpu memory pids');
    writeFileSync(join(root, 'mdk/cgroup.subtree_control'), '');
    for (const f of ['memory.max', 'pids.max', 'cpu.max', 'cgroup.procs', 'cgroup.freeze', 'cgroup.events']) writeFileSync(join(root, 'mdk/c2', f), '');
    const attached: [string, number][] = [];
    const m = new CgroupManager({ version: 2, v1: [], unified: root }, (d, prog) => attached.push([d, prog.length / 8]));
    const p = m.create('/mdk/c2', { memory: { limit: 4096 }, pids: { limit: 7 }, devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    assert.deepEqual(attached.map(([d]) => d), [join(root, 'mdk/c2')], 'the device rules became one program on the container\'s cgroup');
    // every controller each level offers, not only those the limits need (as runc)
    assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+cpuset +cpu +io +memory +hugetlb +pids');
    assert.equal(readFileSync(join(root, 'mdk/cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
    assert.equal(readFileSync(join(root, 'mdk/c2/memory.max'), 'utf8'), '4096');
    assert.equal(readFileSync(join(root, 'mdk/c2/pids.max'), 'utf8'), '7');
    writeFileSync(join(root, 'mdk/c2/cgroup.events'), 'populated 1\nfrozen 1\n');
    m.setFrozen(p, true);
    assert.equal(readFileSync(join(root, 'mdk/c2/cgroup.freeze'), 'utf8'), '1');
    assert.equal(m.isFrozen(p), true);
    assert.deepEqual(p.created, [], 'it made nothing: the fake tree had it all');
  });

  test('a controller the parent does not offer is a clear error', () => {
    const root = join(dir, 'unified');
    fakeTree(root, ['cgroup.subtree_control'], 2);
    writeFileSync(join(root, 'cgroup.controllers'), 'memory');
    const m = new CgroupManager({ version: 2, v1: [], unified: root });
    assert.throws(() => m.create('/mdk/c3', { pids: { limit: 1 } }), /controllers not available: pids/);
    assert.ok(!existsSync(join(root, 'mdk/c3')), 'what create made is removed again');
    assert.ok(!existsSync(join(root, 'mdk')));
  });
});

describe('enableControllers', () => {
  test('all offered in one write; when that is refused, the needed ones, then each other one as far as it goes', () => {
    const written: string[] = [];
    const kernel = (refuse: string[]) => (_file: string, value: string): void => {
      if (refuse.some((c) => value.includes(`+${c}`))) throw new Error(`EINVAL ${value}`);
      written.push(value);
    };
    enableControllers('f', ['memory'], ['cpu', 'memory', 'pids'], kernel([]));
    assert.deepEqual(written, ['+cpu +memory +pids']);
    written.length = 0;
    enableControllers('f', ['memory', 'pids'], ['cpu', 'io', 'memory', 'pids'], kernel(['cpu']));
    assert.deepEqual(written, ['+memory +pids', '+io'], 'cpu left out, the rest enabled');
    written.length = 0;
    assert.throws(() => enableControllers('f', ['cpu'], ['cpu', 'memory'], kernel(['cpu'])), /EINVAL \+cpu/, 'a needed one refused is an error');
    enableControllers('f', [], [], kernel([]));
    assert.deepEqual(written, [], 'nothing offered: nothing written');
  });
});

describe('OOM kills', () => {
  test('oom_kill of v2 memory.events and v1 memory.oom_control; none without the line or the file', () => {
    assert.equal(oomKillCount('low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n'), 2);
    assert.equal(oomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n'), 1);
    assert.equal(oomKillCount('oom_kill_disable 0\nunder_oom 0\n'), 0);
    assert.equal(oomKillCount(''), 0);
  });

  test('read from the container\'s memory cgroup: memory.events on v2, memory.oom_control on v1', () => {
    const m = new CgroupManager({ version: 2, v1: [], unified: dir });
    mkdirSync(join(dir, 'v2'));
    mkdirSync(join(dir, 'v1'));
    writeFileSync(join(dir, 'v2/memory.events'), 'oom 1\noom_kill 3\n');
    writeFileSync(join(dir, 'v1/memory.oom_control'), 'under_oom 0\noom_kill 4\n');
    assert.equal(m.oomKills({ version: 2, dirs: [], created: [], freezer: null, byController: { unified: join(dir, 'v2') } }), 3);
    assert.equal(m.oomKills({ version: 1, dirs: [], created: [], freezer: null, byController: { memory: join(dir, 'v1') } }), 4);
    assert.equal(m.oomKills({ version: 1, dirs: [], created: [], freezer: null, byController: {} }), 0, 'no memory controller');
  });
});

describe('readCgroupLayout', () => {
  test('hybrid v1 with a unified tree, and v2 only', () => {
    const hybrid = readCgroupLayout(`35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`);
    assert.equal(hybrid.version, 1);
    assert.deepEqual(hybrid.v1, [{ mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'] }, { mountPoint: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'] }]);
    assert.equal(hybrid.unified, '/sys/fs/cgroup/unified');
    const v2 = readCgroupLayout('30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
    assert.deepEqual(v2, { version: 2, v1: [], unified: '/sys/fs/cgroup' });
  });
});
