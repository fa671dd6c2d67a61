import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import { copyFiles, exportFiles, namespaceOf, statPath } from './container-files.js';
import type { Engine, EngineOptions } from './engine.js';

/** A stopped container C1 of an engine with OPTIONS: only what the rootless paths look at. */
function fakeEngine(options: EngineOptions): Engine {
  const record = { id: 'c1', name: 'one', layers: ['/store/layers/b/diff', '/store/layers/a/diff'], volatileUpper: false, engine: { binds: [], readOnly: false } };
  const view = { record, state: { Running: false }, paths: { upper: '/store/containers/c1/diff', work: '/store/containers/c1/work' }, pid: 0, rootless: true };
  return {
    options,
    containers: { find: (ref: string) => (ref === 'one' || ref === 'c1' ? record : assert.fail(`no container ${ref}`)) },
    view: () => view,
    inspect: () => view,
    locked: <T>(_id: string, fn: () => Promise<T> | T) => Promise.resolve(fn()),
  } as unknown as Engine;
}

/** Hidden commands that record what they were asked and answer with OUTPUT on stdout. */
function recording(output = ''): NamespaceCommands & { calls: { how: string; args: readonly string[] }[] } {
  const calls: { how: string; args: readonly string[] }[] = [];
  return {
    calls,
    async run(args) {
      calls.push({ how: 'run', args });
      return { code: 0, stdout: output, stderr: '' };
    },
    async stream(args, out) {
      calls.push({ how: 'stream', args });
      out.write(output);
      return { code: 0, stderr: '' };
    },
  };
}

describe('container files: root\'s path or the user namespace\'s, picked in one place', () => {
  test('namespaceOf: none for root\'s engine, the hidden commands for an ordinary user\'s, a SETUP error when a rootless engine was made without them', () => {
    const ns = recording();
    assert.equal(namespaceOf({ options: { rootless: false, namespace: ns } }), undefined);
    assert.equal(namespaceOf({ options: { rootless: true, namespace: ns } }), ns);
    assert.throws(() => namespaceOf({ options: { rootless: true } }), (e: unknown) => e instanceof MobyDickError && e.code === 'SETUP' && /without the user namespace's commands/.test(e.message));
  });

  test('a rootless engine\'s export runs rootless-export over its writable layer and its image\'s layers, topmost first', async () => {
    const ns = recording('TAR');
    const out = new PassThrough();
    await exportFiles(fakeEngine({ rootless: true, namespace: ns }), 'one', out);
    assert.deepEqual(ns.calls, [{ how: 'stream', args: ['rootless-export', '/store/containers/c1/diff', '/store/layers/b/diff', '/store/layers/a/diff'] }]);
    assert.equal(out.read()?.toString(), 'TAR');
  });

  test('a rootless engine\'s stat and copy out of a stopped container ask rootless-cp, its overlay mounted read-only there', async () => {
    const ns = recording('{"name":"f","stat":{"mode":33188,"size":3,"mtime":1},"linkTarget":""}\n');
    const st = await statPath(fakeEngine({ rootless: true, namespace: ns }), 'one', '/f');
    assert.deepEqual([st.name, st.stat.size, st.linkTarget], ['f', 3, '']);
    const [call] = ns.calls;
    assert.equal(call?.args[0], 'rootless-cp');
    const req = JSON.parse(call!.args[1]!) as { op: string; path: string; root: { overlay: { upper: string }; writable: boolean } };
    assert.deepEqual([req.op, req.path, req.root.overlay.upper, req.root.writable], ['stat', '/f', '/store/containers/c1/diff', false]);

    const copying = recording('{"dir":false,"contents":false,"base":"f"}\n');
    const out = new PassThrough();
    await copyFiles(fakeEngine({ rootless: true, namespace: copying }), { container: 'one', path: '/f' }, { path: '-' }, { archive: true, followLink: false, stdout: out, cwd: '/' });
    assert.equal((JSON.parse(copying.calls[0]!.args[1]!) as { op: string }).op, 'out');
  });

  test('a rootless engine\'s copy into a stopped container asks rootless-cp with the tar as its stdin, owned by root inside unless archive', async () => {
    const ns = recording();
    await copyFiles(fakeEngine({ rootless: true, namespace: ns }), { path: '-' }, { container: 'one', path: '/d' }, { archive: false, followLink: false, stdin: new PassThrough().end('tar'), cwd: '/' });
    assert.equal(ns.calls[0]?.how, 'run');
    const req = JSON.parse(ns.calls[0]!.args[1]!) as { op: string; path: string; owner?: unknown; root: { writable: boolean } };
    assert.deepEqual([req.op, req.path, req.owner, req.root.writable], ['in', '/d', { uid: 0, gid: 0 }, true]);
  });
});
