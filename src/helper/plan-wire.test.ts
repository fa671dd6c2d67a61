import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Op, OpName } from './plan.js';
import { OPS, opArgs, OTHER_STEPS } from './ops.js';
import { decodeRecord, encodePlan, encodeSignal, RecordSplitter } from './plan-wire.js';

interface NativeRow { nargs: number; flags: string[]; handler: string }

/** The C side's table (native/src/ops.c), read from its source: one row per op, with "end". */
function nativeOps(): Map<string, NativeRow> {
  const src = readFileSync(new URL('../../../../native/src/ops.c', import.meta.url), 'utf8');
  const table = src.slice(src.indexOf('ops[] = {'), src.indexOf('\n};', src.indexOf('ops[] = {')));
  const rows = new Map<string, NativeRow>();
  for (const m of table.matchAll(/\{"([a-z_]+)", (\d+), ([A-Z0-9_ |]+), \.(set|run) = (\w+)\},/g)) {
    rows.set(m[1]!, { nargs: Number(m[2]), flags: m[3] === '0' ? [] : m[3]!.split(' | '), handler: m[5] === 'NULL' ? '' : m[4]! });
  }
  assert.equal(rows.size, table.split('{"').length - 1, 'every row of ops.c\'s table reads as {"name", nargs, FLAGS, .set|.run = handler}');
  return rows;
}

function nativeArity(): Map<string, number> {
  return new Map([...nativeOps()].map(([name, row]) => [name, row.nargs]));
}

/** Stands in for any field of any op (a number, a string, a boolean, a list), so every record's args() can be called without samples. */
function standIn(name: OpName): Op {
  const field = { toString: () => 'x', join: () => 'x' };
  return new Proxy({ op: name }, { get: (_, key) => (key === 'op' ? name : field) }) as unknown as Op;
}

describe('plan wire format', () => {
  test('the ops are the same on both sides: every record in ops.ts has a row in ops.c and every row a record', () => {
    const native = nativeOps();
    const names = Object.keys(OPS);
    assert.deepEqual(names.filter((n) => !native.has(n)), [], 'ops with no row in native/src/ops.c');
    assert.deepEqual([...native.keys()].filter((n) => n !== 'end' && !(n in OPS)), [], 'rows of native/src/ops.c with no record in src/helper/ops.ts');
  });

  test('every op has the arity its C row says', () => {
    const native = nativeOps();
    for (const name of Object.keys(OPS) as OpName[]) assert.equal(opArgs(standIn(name)).length, native.get(name)?.nargs, name);
  });

  test('settings are settings on both sides, steps have a handler, and the flags are known', () => {
    const native = nativeOps();
    for (const [name, row] of native) {
      const setting = row.flags.includes('OP_SETTING');
      if (name !== 'end') assert.equal(setting, OPS[name as OpName].setting === true, `${name}: OP_SETTING in C, setting in TypeScript`);
      assert.equal(row.handler, name === 'end' ? '' : setting ? 'set' : 'run', `${name}: a setting has .set, a step .run`);
      assert.deepEqual(row.flags.filter((f) => !['OP_SETTING', 'OP_WATCH', 'OP_QUIET', 'OP_DETAIL1'].includes(f)), [], name);
      if (row.flags.includes('OP_WATCH')) assert.ok(setting, `${name}: a watch setting is a setting`);
    }
  });

  test('each failed step the helper names has one message at most', () => {
    const steps = Object.entries(OPS).filter(([, r]) => 'what' in r).map(([name, r]) => r.step ?? name);
    assert.deepEqual(steps.filter((s, i) => steps.indexOf(s) !== i || s in OTHER_STEPS), []);
  });

  test('encodes magic, ops, args and end as NUL-terminated strings', () => {
    const buf = encodePlan([{ op: 'mkdir', path: '/a b', mode: 0o1777 }, { op: 'exec' }]);
    assert.equal(buf.toString(), 'MDKPLAN1\0mkdir\0/a b\x001777\0exec\0end\0');
  });

  test('encodes user groups comma-separated and modes in octal', () => {
    assert.deepEqual(opArgs({ op: 'user', uid: 1000, gid: 100, groups: [] }), ['1000', '100', '']);
    assert.deepEqual(opArgs({ op: 'mknod', path: '/dev/null', mode: 0o20666, major: 1, minor: 3 }), ['/dev/null', '20666', '1', '3']);
  });

  test('a whole plan round-trips to as many strings as the arities say', () => {
    // a jail's plan in short (src/jail/jail-spec.test.ts has whole ones)
    const plan: Op[] = [
      { op: 'clone', flags: 0x6c020000 },
      { op: 'tty', interactive: true },
      { op: 'sync', name: 'cgroup' },
      { op: 'unshare', flags: 0x02000000 },
      { op: 'umask', mask: 0 },
      { op: 'propagation', flags: 0x84000 },
      { op: 'propagate_up', path: '/r', flags: 0x40000 },
      { op: 'mount_host', source: '/r', target: '/r', fstype: '', flags: 0x5000, data: '' },
      { op: 'setroot', path: '/r' },
      { op: 'mkdir', path: '/dev', mode: 0o755 },
      { op: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: 0x1000002, data: 'mode=755,size=65536k' },
      { op: 'mknod', path: '/dev/null', mode: 0o20666, major: 1, minor: 3 },
      { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
      { op: 'touch', path: '/dev/console', mode: 0o620 },
      { op: 'pivot' },
      { op: 'mask', path: '/proc/kcore' },
      { op: 'readonly', path: '/proc/sys' },
      { op: 'hostname', name: 'containerhostname' },
      { op: 'umask', mask: 0o22 },
      { op: 'pty', console: '/dev/console' },
      { op: 'cwd', path: '/' },
      { op: 'seccomp', flags: 0, program: '0600000000000000' },
      { op: 'bounding', keep: 'a00425fb' },
      { op: 'user', uid: 1000, gid: 100, groups: [5] },
      { op: 'caps', effective: 'a00425fb', permitted: 'a00425fb', inheritable: '0', ambient: '0' },
      { op: 'env', value: 'PATH=/bin' },
      { op: 'arg', value: 'echo' },
      { op: 'arg', value: 'hi' },
      { op: 'exec' },
    ];
    const strings = encodePlan(plan).toString().split('\0').slice(0, -1);
    const arity = nativeArity();
    const expected = 1 + plan.reduce((n, op) => n + 1 + (arity.get(op.op) ?? NaN), 0) + 1;
    assert.equal(strings.length, expected);
  });

  test('control messages name a signal number', () => {
    assert.equal(encodeSignal(15).toString(), 'signal\x0015\0');
  });
});

describe('status records', () => {
  test('decodes each kind', () => {
    assert.deepEqual(decodeRecord('pid\t42'), { kind: 'pid', pid: 42 });
    assert.deepEqual(decodeRecord('monitor\t43'), { kind: 'monitor', pid: 43 });
    assert.deepEqual(decodeRecord('step\tmount\t/proc\t1500'), { kind: 'step', name: 'mount', detail: '/proc', nanoseconds: 1500 });
    assert.deepEqual(decodeRecord('error\texec\t2\tno\tsuch'), { kind: 'error', step: 'exec', errno: 2, detail: 'no\tsuch' });
    assert.deepEqual(decodeRecord('exit\t3'), { kind: 'exit', code: 3 });
    assert.deepEqual(decodeRecord('signal\t9'), { kind: 'signal', signal: 9 });
    assert.deepEqual(decodeRecord('sync\tcgroup'), { kind: 'sync', name: 'cgroup' });
    assert.deepEqual(decodeRecord('ready'), { kind: 'ready' });
    assert.equal(decodeRecord('bogus\t1'), null);
  });

  test('splits records across chunk borders', () => {
    const s = new RecordSplitter();
    assert.deepEqual(s.push(Buffer.from('pid\t1')), []);
    assert.deepEqual(s.push(Buffer.from('2\0exit\t')), [{ kind: 'pid', pid: 12 }]);
    assert.deepEqual(s.push(Buffer.from('0\0signal\t15\0')), [{ kind: 'exit', code: 0 }, { kind: 'signal', signal: 15 }]);
  });

  test('keeps a cut record when the caller reuses its read buffer', () => {
    const s = new RecordSplitter();
    const buf = Buffer.alloc(16);
    const n = buf.write('ready\0pid\t4');
    assert.deepEqual(s.push(buf.subarray(0, n)), [{ kind: 'ready' }]);
    const m = buf.write('2\0');
    assert.deepEqual(s.push(buf.subarray(0, m)), [{ kind: 'pid', pid: 42 }]);
  });
});
