import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { X86_64_SYSCALLS } from '../linux/syscall-tables.js';
import { runSeccomp as run } from '../../test/helpers/seccomp-bpf.js';
import { compileSeccomp } from './seccomp.js';

const NR = X86_64_SYSCALLS;
const ALLOW = 0x7fff0000;
const errno = (e: number): number => 0x00050000 | e;

describe('compileSeccomp', () => {
  test('default action, and rules by syscall name', () => {
    const f = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }, { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
    assert.equal(run(f.program, NR.read!), ALLOW);
    assert.equal(run(f.program, NR.write!), ALLOW);
    assert.equal(run(f.program, NR.mkdir!), errno(13));
    assert.equal(run(f.program, NR.openat!), errno(1), 'ERRNO without errnoRet is EPERM');
  });

  test('every comparison operator, on 64-bit values', () => {
    const big = 2 ** 40 + 5;
    const cases: [string, number, number[], number[]][] = [
      // op, value, arguments that match, arguments that do not
      ['SCMP_CMP_EQ', big, [big], [5, 2 ** 40, big + 1]],
      ['SCMP_CMP_NE', big, [5, 2 ** 40, big + 1], [big]],
      ['SCMP_CMP_GT', big, [big + 1, 2 ** 41], [big, 5, 2 ** 40]],
      ['SCMP_CMP_GE', big, [big, big + 1, 2 ** 41], [big - 1, 5]],
      ['SCMP_CMP_LT', big, [big - 1, 5, 0], [big, big + 1, 2 ** 41]],
      ['SCMP_CMP_LE', big, [big, big - 1, 0], [big + 1, 2 ** 41]],
    ];
    for (const [op, value, yes, no] of cases) {
      const f = compileSeccomp({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, op: op as 'SCMP_CMP_EQ' }] }],
      });
      for (const v of yes) assert.equal(run(f.program, NR.kill!, [0, v]), errno(1), `${op} ${v} matches`);
      for (const v of no) assert.equal(run(f.program, NR.kill!, [0, v]), ALLOW, `${op} ${v} does not match`);
    }
  });

  test('MASKED_EQ, and several conditions in one rule are ANDed', () => {
    const f = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['clone'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' },
            { index: 2, value: 7, op: 'SCMP_CMP_EQ' },
          ],
        },
      ],
    });
    assert.equal(run(f.program, NR.clone!, [0x11, 0, 7]), errno(1));
    assert.equal(run(f.program, NR.clone!, [0x10000000, 0, 7]), ALLOW, 'a masked bit set');
    assert.equal(run(f.program, NR.clone!, [0x11, 0, 8]), ALLOW, 'the second condition fails');
  });

  test('a later rule for the same syscall still applies when an earlier one\'s arguments do not match', () => {
    const f = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
    assert.equal(run(f.program, NR.personality!, [0]), ALLOW);
    assert.equal(run(f.program, NR.personality!, [8]), ALLOW);
    assert.equal(run(f.program, NR.personality!, [9]), errno(1));
    assert.equal(run(f.program, NR.getpid!), ALLOW, 'the syscall number is reloaded after argument checks');
  });

  test('architectures: x86 has its own numbers, x32 gets the default, others are killed', () => {
    const f = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }],
    });
    assert.equal(run(f.program, 39, [], 0xc000003e), ALLOW, 'getpid on x86_64 is 39');
    assert.equal(run(f.program, 20, [], 0x40000003), ALLOW, 'getpid on i386 is 20');
    assert.equal(run(f.program, 39, [], 0x40000003), errno(1));
    assert.equal(run(f.program, 0x40000000 + 39, [], 0xc000003e), errno(1), 'x32');
    assert.equal(run(f.program, 39, [], 0xc00000b7), 0x80000000, 'aarch64: kill');
    const only64 = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' });
    assert.equal(run(only64.program, 20, [], 0x40000003), 0x80000000, 'x86 not listed: kill');
  });

  test('actions, flags, and what is refused', () => {
    const actions: [string, number][] = [
      ['SCMP_ACT_KILL', 0], ['SCMP_ACT_KILL_PROCESS', 0x80000000], ['SCMP_ACT_TRAP', 0x00030000],
      ['SCMP_ACT_LOG', 0x7ffc0000], ['SCMP_ACT_TRACE', 0x7ff00001],
    ];
    for (const [action, value] of actions) {
      const f = compileSeccomp({ defaultAction: action as 'SCMP_ACT_LOG' });
      assert.equal(run(f.program, NR.read!), value, action);
    }
    assert.equal(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }).flags, 6);
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }), /SCMP_ACT_NOTIFY needs a listener/);
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['BOGUS'] }), /unknown flag BOGUS/);
  });

  test('syscalls this architecture does not have are skipped; a Docker-sized profile fits', () => {
    const all = Object.keys(X86_64_SYSCALLS);
    const f = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: [...all, 'arm_fadvise64_64', 'no_such_call'], action: 'SCMP_ACT_ALLOW' }],
    });
    assert.ok(f.instructions < 4096, `${f.instructions} instructions`);
    assert.equal(run(f.program, NR.openat!), ALLOW);
  });
});
