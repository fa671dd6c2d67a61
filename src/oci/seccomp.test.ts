import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { i386Syscalls, x86_64Syscalls } from '../linux/syscall-tables.js';
import { runSeccomp as run } from '../../test/helpers/seccomp-bpf.js';
import { defaultSeccompProfile } from '../spec/seccomp-profile.js';
import type { Spec } from '../spec/schema.js';
import { actionValue, compileSeccomp } from './seccomp.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;
type Arg = NonNullable<NonNullable<Seccomp['syscalls']>[number]['args']>[number];

/** What a profile decides, read as written: the first rule that names the call and whose conditions all hold. */
function decide(s: Seccomp, table: Readonly<Record<string, number>>, nr: number, args: readonly number[]): number {
  const holds = (a: Arg): boolean => {
    const x = BigInt(args[a.index] ?? 0);
    const v = BigInt(a.value);
    switch (a.op) {
      case 'SCMP_CMP_EQ': return x === v;
      case 'SCMP_CMP_NE': return x !== v;
      case 'SCMP_CMP_LT': return x < v;
      case 'SCMP_CMP_LE': return x <= v;
      case 'SCMP_CMP_GT': return x > v;
      case 'SCMP_CMP_GE': return x >= v;
      case 'SCMP_CMP_MASKED_EQ': return (x & v) === BigInt(a.valueTwo ?? 0);
    }
  };
  const rule = (s.syscalls ?? []).find((r) => r.names.some((n) => table[n] === nr) && (r.args ?? []).every(holds));
  return rule ? actionValue(rule.action, rule.errnoRet, 'rule') >>> 0 : actionValue(s.defaultAction, s.defaultErrnoRet, 'default') >>> 0;
}

/** Every syscall number of both architectures (and a few past the tables), with the argument values the rules compare. */
function assertDecidesAsWritten(s: Seccomp): void {
  const f = compileSeccomp(s);
  const values = [0, 1, 2 ** 40, ...(s.syscalls ?? []).flatMap((r) => (r.args ?? []).flatMap((a) => [a.value - 1, a.value, a.value + 1, a.valueTwo ?? 0]))].filter((v) => v >= 0);
  for (const [arch, table] of [[0xc000003e, x86_64Syscalls()], [0x40000003, i386Syscalls()]] as const) {
    const max = Math.max(...Object.values(table)) + 3;
    for (let nr = 0; nr <= max; nr++) {
      for (const v of [0, ...new Set(values)]) {
        const args = [v, v, v];
        assert.equal(run(f.program, nr, args, arch) >>> 0, decide(s, table, nr, args), `arch ${arch.toString(16)} nr ${nr} args ${v}`);
      }
    }
  }
}

const NR = x86_64Syscalls();
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

  test('decides every syscall number as the rules read in order: the default profile for several capability sets', () => {
    for (const caps of [DOCKER_DEFAULT_CAPABILITIES, [...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN' as const], [], CAPABILITIES]) {
      assertDecidesAsWritten(defaultSeccompProfile(caps));
    }
  });

  test('decides as written where ranges meet conditions: neighbours with other actions, a rule after an unconditional one, one after a conditional one', () => {
    assertDecidesAsWritten({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [
        { names: ['read', 'write', 'close'], action: 'SCMP_ACT_ALLOW' }, // 0, 1, 3 on x86_64: open (2) between them is not
        { names: ['open'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['stat'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 5, op: 'SCMP_CMP_GE' }] },
        { names: ['stat', 'fstat'], action: 'SCMP_ACT_LOG' }, // stat when its condition fails; fstat always
        { names: ['read'], action: 'SCMP_ACT_KILL' }, // never: read was decided by the first rule
        { names: ['lstat'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 3, op: 'SCMP_CMP_MASKED_EQ', valueTwo: 1 }] },
        { names: ['poll', 'lseek', 'mmap'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mprotect'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      ],
    });
  });

  test("the default profile's filter is short: ranges of numbers, not a comparison per syscall", () => {
    assert.ok(compileSeccomp(defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES)).instructions < 600);
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
    const all = Object.keys(x86_64Syscalls());
    const f = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: [...all, 'arm_fadvise64_64', 'no_such_call'], action: 'SCMP_ACT_ALLOW' }],
    });
    assert.ok(f.instructions < 4096, `${f.instructions} instructions`);
    assert.equal(run(f.program, NR.openat!), ALLOW);
  });
});
