import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { resolveConfig } from './config.js';
import type { Op } from './plan.js';
import { compilePlan } from './plan-compiler.js';
import { decodeRecord, encodePlan, encodeSignal, opArgs, RecordSplitter } from './plan-wire.js';

/** The C side's arity table (native/src/plan.c), read from its source. */
function nativeArity(): Map<string, number> {
  const src = readFileSync(new URL('../../../../native/src/plan.c', import.meta.url), 'utf8');
  const table = new Map<string, number>();
  for (const m of src.matchAll(/\{"([a-z_]+)", (\d+)\}/g)) table.set(m[1]!, Number(m[2]));
  return table;
}

const SAMPLES: Op[] = [
  { op: 'clone', flags: 1 }, { op: 'tty', interactive: true }, { op: 'debug' }, { op: 'init' },
  { op: 'propagation', flags: 1 },
  { op: 'mount_host', source: 's', target: 't', fstype: 'f', flags: 1, data: 'd' },
  { op: 'tree_clone', source: '/etc', slot: 0 }, { op: 'setroot', path: '/r' },
  { op: 'mkdir', path: '/p', mode: 0o755 }, { op: 'mknod', path: '/n', mode: 0o20666, major: 1, minor: 3 },
  { op: 'symlink', target: 'a', path: '/b' }, { op: 'touch', path: '/f', mode: 0o644 },
  { op: 'mount', source: 's', target: 't', fstype: 'f', flags: 1, data: 'd' },
  { op: 'tree_attach', slot: 0, target: '/etc' }, { op: 'remount', target: '/', flags: 1 },
  { op: 'mask', path: '/m' }, { op: 'readonly', path: '/r' }, { op: 'pivot' },
  { op: 'hostname', name: 'h' }, { op: 'umask', mask: 0o22 }, { op: 'setsid' }, { op: 'pty', console: '' },
  { op: 'bounding', keep: 'ff' }, { op: 'user', uid: 1, gid: 2, groups: [3, 4] },
  { op: 'caps', effective: '1', permitted: '1', inheritable: '1', ambient: '0' },
  { op: 'nonewprivs' }, { op: 'cwd', path: '/' }, { op: 'env', value: 'A=b' }, { op: 'arg', value: 'x' },
  { op: 'exec' }, { op: 'detach' }, { op: 'console_socket', path: '/s' }, { op: 'join_pid', path: '/p' },
  { op: 'sync', name: 'cgroup' }, { op: 'setns', path: '/n', nstype: 1 }, { op: 'chown', path: '/d', uid: 1, gid: 2 },
  { op: 'propagate', target: '/', flags: 1 }, { op: 'procwrite', path: 'sys/x', value: '1' },
  { op: 'domainname', name: 'd' }, { op: 'rlimit', resource: 7, soft: '1', hard: 'unlimited' },
  { op: 'fifo_open', path: '/f' }, { op: 'exec_check' }, { op: 'fifo_wait' }, { op: 'release' }, { op: 'unshare', flags: 1 }, { op: 'exec_path', path: '/x' }, { op: 'seccomp', flags: 0, program: '00' }, { op: 'personality', persona: 8 }, { op: 'preserve_fds', count: 2 }, { op: 'move_root' },
  { op: 'chroot' }, { op: 'propagate_up', path: '/r', flags: 0x40000 },
  { op: 'log_json', path: '/l', maxSize: 10, maxFiles: 2 }, { op: 'stdin_open' }, { op: 'attach_socket', path: '/s' },
  { op: 'exit_file', path: '/e' }, { op: 'on_exit', arg: '/bin/true' },
];

describe('plan wire format', () => {
  test('every op has the arity the C helper expects, and the C helper knows every op', () => {
    const arity = nativeArity();
    for (const op of SAMPLES) assert.equal(opArgs(op).length, arity.get(op.op), op.op);
    const known = new Set([...SAMPLES.map((o) => o.op), 'end']);
    assert.deepEqual([...arity.keys()].filter((k) => !known.has(k)), []);
  });

  test('encodes magic, ops, args and end as NUL-terminated strings', () => {
    const buf = encodePlan([{ op: 'mkdir', path: '/a b', mode: 0o1777 }, { op: 'exec' }]);
    assert.equal(buf.toString(), 'MDKPLAN1\0mkdir\0/a b\x001777\0exec\0end\0');
  });

  test('encodes user groups comma-separated and modes in octal', () => {
    assert.deepEqual(opArgs({ op: 'user', uid: 1000, gid: 100, groups: [] }), ['1000', '100', '']);
    assert.deepEqual(opArgs({ op: 'mknod', path: '/dev/null', mode: 0o20666, major: 1, minor: 3 }), ['/dev/null', '20666', '1', '3']);
  });

  test('a whole compiled plan round-trips to as many strings as the arities say', () => {
    const plan = compilePlan(resolveConfig({ command: ['echo', 'hi'], rootfs: '/r', tty: true }));
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
});
