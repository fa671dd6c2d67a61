/**
 * Many containers at once from one process through openEngine (the path of
 * bench/library.mjs): 16 created, started, waited for and removed at the
 * same time leave no container directory, runtime state, cgroup or mount
 * (the engine's parent cgroup is kept, empty, until close() removes it),
 * and while they run their records are the CLI's (`moby-dick ps` lists
 * them). A removed container's directory is gone from the store at once
 * (moved aside, its files deleted in the background) and nothing of it is
 * left once close() has returned. Own store, cgroup parent and network
 * prefix (makeImageEnv); nothing left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cgroupDirsOf, cgroupRoots } from '../../src/engine/leftovers.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { ENGINE_CGROUP_PARENT, makeImageEnv, type ImageEnv } from '../helpers/image-env.js';
import { assertNoLeaks, snapshot, type Snapshot } from '../helpers/leaks.js';

const api: typeof import('../../src/index.js') = await import('moby-dick' as string);
type Engine = Awaited<ReturnType<typeof api.openEngine>>;

const N = 16;
const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('openEngine: 16 containers at once in one process', () => {
  let env: ImageEnv;
  let engine: Engine | undefined;
  let dir: string;
  let leaks: Snapshot;
  const saved = { MOBY_DICK_CGROUP_PARENT: process.env.MOBY_DICK_CGROUP_PARENT, MOBY_DICK_NET_PREFIX: process.env.MOBY_DICK_NET_PREFIX };

  /**
   * the engine's parent cgroup is kept while it is open (made once, not tried at each container's exit and
   * removal: kept-cgroup-parent.ts), in every hierarchy, and no container's cgroup is left in it
   */
  const assertParentKeptEmpty = (): void => {
    const parents = cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}`);
    assert.deepEqual(parents, cgroupRoots().map((r) => join(r, ENGINE_CGROUP_PARENT)), 'the parent cgroup is kept in every hierarchy');
    for (const p of parents) assert.deepEqual(readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name), [], `no cgroup left in ${p}`);
  };

  /** what the store holds of containers: their directories, the runtime's states, the ones being removed */
  const held = (): { containers: string[]; states: string[]; removing: string[] } => ({
    containers: list(join(env.root, 'containers')),
    states: list(join(env.root, 'run', 'oci')).filter((n) => /^[a-f0-9]{64}$/.test(n)),
    removing: list(join(env.root, 'removing')),
  });

  before(async () => {
    leaks = snapshot();
    env = makeImageEnv();
    Object.assign(process.env, { MOBY_DICK_CGROUP_PARENT: env.env.MOBY_DICK_CGROUP_PARENT, MOBY_DICK_NET_PREFIX: env.env.MOBY_DICK_NET_PREFIX });
    dir = mkdtempSync('/tmp/mdk-test-lib-many-');
    engine = await api.openEngine({ root: env.root });
    await engine.load(buildBusyboxImage(dir).archive);
  });

  after(async () => {
    try {
      if (engine) {
        for (const c of engine.list()) engine.remove(c.id, { force: true, volumes: true });
        await engine.close();
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
      env.remove();
    }
    await assertNoLeaks(leaks);
  });

  test('created, started, waited for and removed all at once: each ends as its own, and nothing of them is left', async () => {
    const e = engine!;
    const one = async (n: number): Promise<{ exitCode: number; out: string }> => {
      const c = await e.run({ image: 'busybox', command: ['sh', '-c', `echo c${n}; exit ${n}`], network: 'none' });
      const { exitCode } = await c.wait();
      const { stdout } = await e.output(c.id);
      e.remove(c.id);
      // its record and its directory go at once; its files in the background
      assert.throws(() => e.inspect(c.id), api.MobyDickError);
      assert.equal(existsSync(join(env.root, 'containers', c.id)), false, 'its directory is gone from the store');
      return { exitCode, out: stdout };
    };
    const ns = Array.from({ length: N }, (_, i) => i);
    const got = await Promise.all(ns.map(one));
    assert.deepEqual(got, ns.map((n) => ({ exitCode: n, out: `c${n}\n` })));
    assert.deepEqual(e.list(), []);
    const h = held();
    assert.deepEqual({ containers: h.containers, states: h.states }, { containers: [], states: [] });
    assertParentKeptEmpty();
  });

  test('running ones are the CLI\'s: ps lists them, rm -f of the CLI removes one; the rest killed and removed at once', async () => {
    const e = engine!;
    const started = await Promise.all(
      Array.from({ length: N }, (_, i) => e.run({ image: 'busybox', name: `mdk-test-many-${i}`, command: ['sleep', '60'], network: 'none' })),
    );
    const ps = await env.mdk(['ps', '--format', '{{.Names}} {{.Status}}']);
    assert.equal(ps.code, 0, ps.stderr);
    const lines = ps.stdout.trim().split('\n').sort();
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), started.map((_, i) => `mdk-test-many-${i}`).sort());
    for (const l of lines) assert.match(l, / Up /);
    // the CLI's rm -f of one the library started: the library sees it end and the record gone
    const rm = await env.mdk(['rm', '-f', 'mdk-test-many-0']);
    assert.equal(rm.code, 0, rm.stderr);
    await started[0]!.wait().catch(() => undefined);
    assert.equal(e.list().length, N - 1);
    for (const c of started.slice(1)) e.kill(c.id);
    const exits = await Promise.all(started.slice(1).map((c) => c.wait()));
    assert.deepEqual(exits, started.slice(1).map(() => ({ exitCode: 137, signal: 'SIGKILL' })));
    for (const c of started.slice(1)) e.remove(c.id);
    assert.deepEqual(e.list(), []);
    const after = await env.mdk(['ps', '-a', '-q']);
    assert.equal(after.stdout, '', 'the CLI sees none left');
    assertParentKeptEmpty();
    assert.deepEqual(held().states, []);
  });

  test('close() returns once every removed container\'s files are deleted', async () => {
    const e = engine!;
    const cs = await Promise.all(Array.from({ length: 4 }, () => e.run({ image: 'busybox', command: ['true'], network: 'none' })));
    await Promise.all(cs.map((c) => c.wait()));
    for (const c of cs) e.remove(c.id);
    assertParentKeptEmpty();
    await e.close();
    engine = undefined;
    assert.deepEqual(held(), { containers: [], states: [], removing: [] });
    assert.deepEqual(cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}`), [], 'the parent cgroup goes at close()');
  });
});
