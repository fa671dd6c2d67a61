import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FAST_COMMANDS, FAST_STATE_FILE, fileStamp, FAST_STATE_KEYS, FAST_STATE_VERSION, renderFastState, slowCommands, stateJson, stateLine, stateTemplate } from './fast-state.js';
import { type OciState, RUNTIME_MESSAGES, runtimeMessage, type SavedState } from './saved-state.js';
import { DEFAULT_ROOT, FIFO_FILE, LOCK_FILE } from './state.js';

const STAMP = '123 456 1765000000123456789';
const nativeFile = (name: string): string => readFileSync(new URL(`../../../../native/launcher/${name}`, import.meta.url), 'utf8');

/** The C side's #defines (native/launcher/fast.h) */
function nativeDefines(): Map<string, string> {
  return new Map([...nativeFile('fast.h').matchAll(/^#define (FAST_\w+) "([^"]*)"$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The records of a fast state, as the launcher reads them (fast-state.c): KEY LENGTH\nVALUE\n */
function parse(text: string): [string, string][] {
  const bytes = Buffer.from(text);
  const out: [string, string][] = [];
  for (let at = 0; at < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, at);
    const [key, length] = bytes.toString('utf8', at, nl).split(' ');
    const value = bytes.subarray(nl + 1, nl + 1 + Number(length));
    assert.equal(bytes[nl + 1 + Number(length)], 0x0a, `${key}: a newline after its value`);
    out.push([key!, value.toString()]);
    at = nl + 2 + Number(length);
  }
  return out;
}

const oci = (extra: Partial<OciState> = {}): OciState => ({
  ociVersion: '1.2.0', id: 'c1', pid: 42, status: 'created', bundle: '/b', rootfs: '/b/rootfs', created: '2026-01-01T00:00:00.000Z', owner: '', ...extra,
});

const saved = (extra: Partial<SavedState> = {}): SavedState => ({
  id: 'c1', pid: 42, pidStartTime: '777', bundle: '/b', rootfs: '/b/rootfs', created: '2026-01-01T00:00:00.000Z', owner: '', ...extra,
});

const fill = (pieces: [string, string, string], pid: number, status: string): string => `${pieces[0]}${pid}${pieces[1]}${status}${pieces[2]}`;

describe('fast state', () => {
  test('the state template gives stateJson back for every pid and status, annotations and odd paths too', () => {
    const states = [
      oci(),
      oci({ id: 'a.b+c-d_e', bundle: '/with "quotes"/and\nnewline', annotations: { pid: '1', status: 'x', '"pid": ': '0,' } }),
      oci({ annotations: {} }),
    ];
    for (const s of states) {
      const pieces = stateTemplate(s);
      assert.ok(pieces, JSON.stringify(s));
      for (const [pid, status] of [[0, 'stopped'], [123, 'running'], [9, 'paused'], [77, 'created']] as const) {
        assert.equal(fill(pieces, pid, status), stateJson({ ...s, pid, status }));
      }
    }
  });

  test('the list template gives the compact form back; the records hold the table\'s columns', () => {
    const s = oci({ annotations: { a: 'b' } });
    const pieces = stateTemplate(s, stateLine);
    assert.ok(pieces);
    assert.equal(fill(pieces, 5, 'paused'), JSON.stringify({ ...s, pid: 5, status: 'paused' }));
    const records = parse(renderFastState(saved(), s, STAMP));
    assert.deepEqual(records.filter(([k]) => ['bundle', 'created', 'owner', 'slow'].includes(k)), [['bundle', '/b'], ['created', '2026-01-01T00:00:00.000Z'], ['owner', ''], ['slow', '']]);
  });

  test('commands with hooks, and delete of a root bound on the host, are left to TypeScript', () => {
    const cmd = { path: '/bin/true' };
    assert.deepEqual(slowCommands(saved()), []);
    assert.deepEqual(slowCommands(saved({ spec: { ociVersion: '1.2.0', hooks: { poststart: [cmd] } } })), ['start']);
    assert.deepEqual(slowCommands(saved({ spec: { ociVersion: '1.2.0', hooks: { startContainer: [cmd], poststop: [cmd] } } })), ['start', 'delete']);
    assert.deepEqual(slowCommands(saved({ spec: { ociVersion: '1.2.0', hooks: { prestart: [cmd], poststop: [] } } })), []);
    assert.deepEqual(slowCommands(saved({ hostRootBelow: 12 })), ['delete']);
  });

  test('renders version first, then the pid, the state pieces, the cgroups, with lengths in bytes', () => {
    const s = saved({
      bundle: '/bündle',
      cgroup: {
        version: 1,
        dirs: ['/cg/pids/m/c1', '/cg/freezer/m/c1'],
        created: ['/cg/pids/m', '/cg/pids/m/c1', '/cg/freezer/m/c1'],
        freezer: '/cg/freezer/m/c1',
        byController: { pids: '/cg/pids/m/c1', freezer: '/cg/freezer/m/c1' },
      },
    });
    const o = oci({ bundle: '/bündle' });
    const records = parse(renderFastState(s, o, STAMP));
    assert.deepEqual(records[0], ['version', FAST_STATE_VERSION]);
    assert.deepEqual(records[1], ['state-file', STAMP]);
    const get = (k: string): string[] => records.filter(([key]) => key === k).map(([, v]) => v);
    assert.deepEqual(get('pid'), ['42']);
    assert.deepEqual(get('start-time'), ['777']);
    assert.equal(fill([get('state-0')[0]!, get('state-1')[0]!, get('state-2')[0]!], 42, 'running'), stateJson({ ...o, status: 'running' }));
    // list's table pads by bytes: a bundle path that is not ASCII leaves list to Node
    assert.deepEqual(get('list-0'), []);
    assert.deepEqual(get('slow'), ['list']);
    assert.deepEqual(get('freezer-v1'), ['/cg/freezer/m/c1']);
    assert.deepEqual(get('procs'), ['/cg/pids/m/c1']);
    // removed deepest first, as CgroupManager.remove: the container's own, then the parent made for it
    assert.deepEqual(records.filter(([k]) => k.startsWith('rmdir-')), [['rmdir-own', '/cg/freezer/m/c1'], ['rmdir-own', '/cg/pids/m/c1'], ['rmdir-parent', '/cg/pids/m']]);
    for (const [key] of records) assert.ok((FAST_STATE_KEYS as readonly string[]).includes(key), key);
  });

  test('v2 names its freezer as such; without cgroups there is none', () => {
    const v2 = saved({ cgroup: { version: 2, dirs: ['/u/c1'], created: ['/u/c1'], freezer: '/u/c1', byController: { unified: '/u/c1' } } });
    assert.deepEqual(parse(renderFastState(v2, oci(), STAMP)).filter(([k]) => k.startsWith('freezer') || k === 'procs'), [['freezer-v2', '/u/c1'], ['procs', '/u/c1']]);
    assert.deepEqual(parse(renderFastState(saved(), oci(), STAMP)).filter(([k]) => k.startsWith('freezer') || k === 'procs' || k.startsWith('rmdir')), []);
  });

  test('the names are the same on both sides: files, version, root (native/launcher/fast.h)', () => {
    const defines = nativeDefines();
    assert.equal(defines.get('FAST_STATE_FILE'), FAST_STATE_FILE);
    assert.equal(defines.get('FAST_STATE_VERSION'), FAST_STATE_VERSION);
    assert.equal(defines.get('FAST_DEFAULT_ROOT'), DEFAULT_ROOT);
    assert.equal(defines.get('FAST_LOCK_FILE'), LOCK_FILE);
    assert.equal(defines.get('FAST_FIFO_FILE'), FIFO_FILE);
  });

  test('the launcher says the runtime\'s words for a container that does not exist or is not running (fast.h)', () => {
    const header = nativeFile('fast.h');
    const define = (name: string): string | undefined => new RegExp(`^#define ${name} "(.*)"$`, 'm').exec(header)?.[1]?.replaceAll('\\"', '"');
    assert.equal(define('FAST_MSG_NOT_FOUND'), RUNTIME_MESSAGES.notFound);
    assert.equal(define('FAST_MSG_NOT_RUNNING'), RUNTIME_MESSAGES.notRunning);
    assert.equal(runtimeMessage(RUNTIME_MESSAGES.notFound, 'c1'), 'container "c1" does not exist');
  });

  test('the launcher reads every key TypeScript writes and no other (native/launcher/fast-state.c)', () => {
    const src = nativeFile('fast-state.c');
    const reader = src.slice(src.indexOf('int fast_state_read('), src.indexOf('\n}\n', src.indexOf('int fast_state_read(')));
    const keys = new Set([...reader.matchAll(/strn?cmp\(key, "([a-z0-9-]+)"/g)].map((m) => m[1]!));
    // "state-" and "list-" are read as prefixes with the digits 0 to 2
    const expanded = new Set([...keys].flatMap((k) => (k.endsWith('-') ? [0, 1, 2].map((d) => `${k}${d}`) : [k])));
    assert.deepEqual([...expanded].sort(), [...FAST_STATE_KEYS].sort());
  });

  test('the launcher serves the commands TypeScript names and says the OCI status words (fast-commands.c, fast-state.c)', () => {
    const commands = nativeFile('fast-commands.c');
    const table = (name: string): string[] => {
      const m = new RegExp(`${name}\\[\\] = \\{([^}]*)\\}`).exec(commands);
      return [...(m?.[1] ?? '').matchAll(/"(\w+)"/g)].map((x) => x[1]!);
    };
    assert.deepEqual([...table('locked'), ...table('unlocked')].sort(), [...FAST_COMMANDS].sort());
    const names = /names\[\] = \{([^}]*)\}/.exec(nativeFile('fast-state.c'))?.[1] ?? '';
    assert.deepEqual([...names.matchAll(/"(\w+)"/g)].map((m) => m[1]).sort(), ['created', 'paused', 'running', 'stopped']);
  });

  test("state.json's stamp changes when it is replaced (as StateStore.write does) or rewritten with another length", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdk-test-stamp-'));
    try {
      const file = join(dir, 'state.json');
      writeFileSync(file, '{"pid":4242}');
      const first = fileStamp(file);
      assert.match(first, /^\d+ 12 \d+$/);
      assert.equal(fileStamp(file), first);
      writeFileSync(`${file}.tmp`, '{"pid":4242}');
      renameSync(`${file}.tmp`, file);
      assert.notEqual(fileStamp(file), first, 'a new inode');
      const second = fileStamp(file);
      writeFileSync(file, '{"pid":0}');
      assert.notEqual(fileStamp(file), second, 'another size');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
