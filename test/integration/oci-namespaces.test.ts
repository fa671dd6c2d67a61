/**
 * Conformance of the root's setup with runc (issue 13): linux.rootfsPropagation
 * of every kind, a container in the runtime's mount namespace, a mount and a
 * uts namespace joined by path.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import type { Spec } from '../../src/spec/schema.js';
import { RUNTIME } from '../helpers/bundle.js';
import { run, sleep } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';

type Propagation = NonNullable<NonNullable<Spec['linux']>['rootfsPropagation']>;

/** The optional fields (shared:N, master:N, unbindable) of the mount at "/" in a mountinfo text. */
const rootTags = (mountinfo: string): string[] => {
  const line = mountinfo.split('\n').find((l) => l.split(' ')[4] === '/');
  assert.ok(line, mountinfo);
  const fields = line.split(' ');
  return fields.slice(6, fields.indexOf('-'));
};

/** Host mount points at or under PATH. */
const mountsUnder = (path: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === path || p.startsWith(`${path}/`));

describe('moby-dick-runtime: root propagation and mount namespaces, as runc', () => {
  const fx = useOci();
  const { rt, bundle } = fx;

  describe('linux.rootfsPropagation', () => {
    // runc's test makes the caller's mounts rshared first, so that slave has a master to show: the runtime runs in
    // a mount namespace of its own whose mounts are all shared (gone when it ends)
    const inside = async (propagation: Propagation): Promise<string[]> => {
      const b = bundle((s) => {
        s.linux!.rootfsPropagation = propagation;
        s.process!.args = ['cat', '/proc/self/mountinfo'];
      });
      const r = await run('unshare', ['--mount', '--propagation', 'shared', RUNTIME, '--root', fx.root, 'run', '--bundle', b, `mdk-test-prop-${propagation}`], { until: 'exit' });
      assert.equal(r.code, 0, `${propagation}: ${r.stderr}`);
      return rootTags(r.stdout);
    };
    const expected: [Propagation, RegExp | null][] = [
      ['shared', /^shared:\d+$/], ['rshared', /^shared:\d+$/],
      ['slave', /^master:\d+$/], ['rslave', /^master:\d+$/],
      ['private', null], ['rprivate', null],
      ['unbindable', /^unbindable$/], ['runbindable', /^unbindable$/],
    ];
    for (const [propagation, tag] of expected) {
      test(`${propagation}: the container's / is ${tag === null ? 'private' : tag.source}`, async () => {
        const tags = await inside(propagation);
        if (tag === null) assert.deepEqual(tags, [], propagation);
        else assert.ok(tags.length === 1 && tag.test(tags[0]!), `${propagation}: ${tags.join(' ')}`);
      });
    }

    test('shared with the host\'s own mounts as they are here (shared made pivot_root fail with EINVAL)', async () => {
      const b = bundle((s) => {
        s.linux!.rootfsPropagation = 'shared';
        s.process!.args = ['cat', '/proc/self/mountinfo'];
      });
      const r = await rt('run', '--bundle', b, 'mdk-test-prop-host');
      assert.equal(r.code, 0, r.stderr);
      assert.match(rootTags(r.stdout)[0] ?? '', /^shared:\d+$/);
    });
  });

  describe('without a mount namespace (runc runs the container in the runtime\'s)', () => {
    const hostMnt = (change: (s: Spec) => void = () => {}): string =>
      bundle((s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
        // as runc's own test: it refuses masked and read-only paths without a mount namespace
        s.linux!.maskedPaths = [];
        s.linux!.readonlyPaths = [];
        change(s);
      });

    test('create, start, delete: the container shares our mount namespace, chrooted into its root; nothing stays mounted', async () => {
      const before = mountsUnder(fx.rootfs);
      assert.equal((await rt('create', '--bundle', hostMnt(), 'mdk-test-hostmnt')).code, 0);
      const { pid } = await fx.state('mdk-test-hostmnt');
      assert.equal(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'));
      assert.equal(readlinkSync(`/proc/${pid}/root`), fx.rootfs, 'chrooted into the root');
      assert.ok(mountsUnder(`${fx.rootfs}/proc`).length > 0, 'the spec\'s mounts are on the host while it lives');
      assert.equal((await rt('start', 'mdk-test-hostmnt')).code, 0);
      assert.equal((await rt('delete', '--force', 'mdk-test-hostmnt')).code, 0);
      assert.deepEqual(mountsUnder(fx.rootfs), before, 'delete leaves no mount on the host');
    });

    test('run in the foreground, and a create that fails after its mounts: nothing stays mounted', async () => {
      const before = mountsUnder(fx.rootfs);
      const r = await rt('run', '--bundle', hostMnt((s) => void (s.process!.args = ['sh', '-c', 'ls /proc/self/ns >/dev/null && echo ran'])), 'mdk-test-hostmnt-run');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ran\n');
      assert.deepEqual(mountsUnder(fx.rootfs), before);
      const failed = await rt('create', '--bundle', hostMnt((s) => void (s.process!.args = ['/mdk-test-missing'])), 'mdk-test-hostmnt-fail');
      assert.equal(failed.code, 1);
      assert.deepEqual(mountsUnder(fx.rootfs), before);
    });

    test('masked paths are refused with the field, as runc refuses them', async () => {
      const r = await rt('create', '--bundle', hostMnt((s) => void (s.linux!.maskedPaths = ['/proc/kcore'])), 'mdk-test-hostmnt-masked');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /linux\.maskedPaths: needs a mount namespace/);
    });
  });

  describe('namespaces joined by path', () => {
    /** A process holding a new mount and uts namespace, as the conformance suite makes one (unshare). */
    const holder = async (): Promise<ChildProcess & { pid: number }> => {
      const child = spawn('unshare', ['--mount', '--uts', '--propagation', 'private', 'sleep', '1000'], { stdio: 'ignore' });
      const pid = child.pid;
      assert.ok(pid !== undefined);
      const own = readlinkSync('/proc/self/ns/mnt');
      for (let i = 0; i < 200; i++) {
        try {
          if (readlinkSync(`/proc/${pid}/ns/mnt`) !== own && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) break;
        } catch {
          /* not yet */
        }
        await sleep(10);
      }
      return Object.assign(child, { pid });
    };
    const stop = async (child: ChildProcess): Promise<void> => {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    };

    /** A bundle that joins the mount and uts namespaces of PID. */
    const joining = (pid: number): string =>
      bundle((s) => {
        s.hostname = 'mdk-test-joined';
        s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
          n.type === 'mount' ? { type: 'mount', path: `/proc/${pid}/ns/mnt` } : n.type === 'uts' ? { type: 'uts', path: `/proc/${pid}/ns/uts` } : n,
        );
        s.process!.args = ['sh', '-c', 'hostname; readlink /proc/self/ns/mnt; ls /'];
      });

    // one namespace per container: pivot_root in a joined namespace makes the container's root that namespace's
    // root (runc's run.bats says the same), so a second container could not find root.path there
    test('create in a mount and a uts namespace joined by path: the root is set up in them, not in ours', async () => {
      const ns = await holder();
      try {
        const before = mountsUnder(fx.rootfs);
        assert.equal((await rt('create', '--bundle', joining(ns.pid), 'mdk-test-joined')).code, 0);
        const { pid } = await fx.state('mdk-test-joined');
        assert.equal(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync(`/proc/${ns.pid}/ns/mnt`));
        assert.equal(readlinkSync(`/proc/${pid}/ns/uts`), readlinkSync(`/proc/${ns.pid}/ns/uts`));
        assert.deepEqual(mountsUnder(fx.rootfs), before, 'the root\'s mounts are made in the joined namespace, not ours');
        // exec joins it too: skipped, it ran on the host's filesystem
        const e = await rt('exec', 'mdk-test-joined', 'ls', '/');
        assert.equal(e.code, 0, e.stderr);
        assert.ok(e.stdout.split('\n').includes('bin') && !e.stdout.split('\n').includes('work'), e.stdout);
        assert.equal((await rt('delete', '--force', 'mdk-test-joined')).code, 0);
      } finally {
        await stop(ns);
      }
    });

    test('run in a mount and a uts namespace joined by path: the container\'s root, and the hostname set there', async () => {
      const ns = await holder();
      try {
        const nsMnt = readlinkSync(`/proc/${ns.pid}/ns/mnt`);
        const before = mountsUnder(fx.rootfs);
        const r = await rt('run', '--bundle', joining(ns.pid), 'mdk-test-joined-run');
        assert.equal(r.code, 0, r.stderr);
        const [name, mnt, ...ls] = r.stdout.trim().split('\n');
        assert.equal(name, 'mdk-test-joined');
        assert.equal(mnt, nsMnt);
        assert.ok(ls.includes('bin') && !ls.includes('work'), `the container's root: ${ls.join(' ')}`);
        assert.notEqual(hostname(), 'mdk-test-joined', 'the host keeps its name');
        assert.deepEqual(mountsUnder(fx.rootfs), before);
      } finally {
        await stop(ns);
      }
    });
  });
});
