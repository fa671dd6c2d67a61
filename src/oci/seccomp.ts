/**
 * linux.seccomp -> a classic BPF filter, compiled here rather than by
 * libseccomp (no C library, and the plan stays data). The filter checks the
 * architecture, then the syscalls whose first rule has argument conditions
 * (ANDed), each rule in order, then ranges of syscall numbers that one
 * rule decides whatever the arguments (archBlock); anything else gets
 * defaultAction. The outcome is the first matching rule's, as with
 * libseccomp.
 *
 * Architectures: x86_64 and x86 (i386) have syscall tables here; x32 calls
 * get the default action; any other architecture is killed.
 */
import { and, assemble, type Insn, ja, jeq, jge, jgt, label, ld, ret } from '../linux/bpf.js';
import { i386Syscalls, x86_64Syscalls } from '../linux/syscall-tables.js';
import { MobyDickError } from '../errors.js';
import type { Spec } from '../spec/schema.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;
type Rule = NonNullable<Seccomp['syscalls']>[number];
type Arg = NonNullable<Rule['args']>[number];

const AUDIT_ARCH = { x86_64: 0xc000003e, i386: 0x40000003 } as const;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;

const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

/** seccomp_data: nr at 0, arch at 4, args at 16 + 8 * i (low word first). */
const NR = 0;
const ARCH = 4;
const argLow = (i: number): number => 16 + 8 * i;
const argHigh = (i: number): number => 16 + 8 * i + 4;

function bad(field: string, problem: string): MobyDickError {
  return new MobyDickError('INVALID_CONFIG', `config.json: linux.seccomp.${field}: ${problem}`, { subject: `linux.seccomp.${field}` });
}

export function actionValue(action: string, errnoRet: number | undefined, field: string): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_TRACE':
      return RET.TRACE | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_LOG':
      return RET.LOG;
    case 'SCMP_ACT_ALLOW':
      return RET.ALLOW;
    default:
      throw bad(field, `${action} is not supported (SCMP_ACT_NOTIFY needs a listener, which moby-dick does not run)`);
  }
}

const hi = (v: number): number => Math.floor(v / 2 ** 32) >>> 0;
const lo = (v: number): number => v >>> 0;

/** One argument condition; on failure jump to FAIL. A is clobbered. */
function argCheck(a: Arg, fail: string, n: string): Insn[] {
  const i = a.index;
  const v = a.value;
  const ok = `${n}-ok`;
  switch (a.op) {
    case 'SCMP_CMP_EQ':
      return [ld(argHigh(i)), jeq(hi(v), 0, fail), ld(argLow(i)), jeq(lo(v), 0, fail)];
    case 'SCMP_CMP_NE':
      return [ld(argHigh(i)), jeq(hi(v), 0, ok), ld(argLow(i)), jeq(lo(v), fail, 0), label(ok)];
    case 'SCMP_CMP_MASKED_EQ': {
      const d = a.valueTwo ?? 0;
      return [ld(argHigh(i)), and(hi(v)), jeq(hi(d), 0, fail), ld(argLow(i)), and(lo(v)), jeq(lo(d), 0, fail)];
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      // unsigned 64-bit: decided by the high words unless they are equal
      const low = a.op === 'SCMP_CMP_GT' ? jgt(lo(v), 0, fail) : jge(lo(v), 0, fail);
      return [ld(argHigh(i)), jgt(hi(v), ok, 0), jeq(hi(v), 0, fail), ld(argLow(i)), low, label(ok)];
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // LT is "not GE", LE is "not GT"
      const low = a.op === 'SCMP_CMP_LT' ? jge(lo(v), fail, 0) : jgt(lo(v), fail, 0);
      return [ld(argHigh(i)), jgt(hi(v), fail, 0), jeq(hi(v), 0, ok), ld(argLow(i)), low, label(ok)];
    }
  }
}

/** Numbers LO..HI that all get one rule's ACTION whatever their arguments. */
interface Range {
  lo: number;
  hi: number;
  action: number;
}

/**
 * One architecture's part. The first rule that names a syscall decides it;
 * when that rule has no argument conditions, nothing after it can change
 * the outcome, and the number joins a range of consecutive numbers with
 * the same action: Docker's default profile becomes about 30 ranges on
 * x86_64 instead of some 300 comparisons, which the kernel checks, JITs
 * and runs (at each system call) in a fraction of the time. The other
 * numbers (clone, socket, personality: a first rule with conditions) keep
 * their rules in order, as written, before the ranges; one that matches
 * none falls through to the ranges, which never hold it, and gets the
 * default.
 */
function archBlock(name: string, table: Readonly<Record<string, number>>, s: Seccomp, defaultRet: number, x32Ret: number | null): Insn[] {
  const out: Insn[] = [label(`arch-${name}`), ld(NR)];
  if (x32Ret !== null) out.push(jge(X32_SYSCALL_BIT, 0, 'x32-done'), ret(x32Ret), label('x32-done'));
  const rules = (s.syscalls ?? []).map((rule, r) => ({ rule, action: actionValue(rule.action, rule.errnoRet, `syscalls[${r}].action`) }));
  // each number's deciding rule: the first that names it
  const first = new Map<number, { conditional: boolean; action: number }>();
  for (const { rule, action } of rules) {
    for (const sys of rule.names) {
      const nr = table[sys];
      // not a syscall of this architecture: as runc and libseccomp, skip it
      if (nr !== undefined && !first.has(nr)) first.set(nr, { conditional: (rule.args ?? []).length > 0, action });
    }
  }
  let n = 0;
  let lastHadArgs = false;
  for (const { rule, action } of rules) {
    for (const sys of rule.names) {
      const nr = table[sys];
      if (nr === undefined || !first.get(nr)!.conditional) continue;
      const next = `${name}-next-${n++}`;
      // argument checks load into A: reload the number only after a rule that had them
      if (lastHadArgs) out.push(ld(NR));
      out.push(jeq(nr, 0, next));
      lastHadArgs = (rule.args ?? []).length > 0;
      (rule.args ?? []).forEach((a, k) => out.push(...argCheck(a, next, `${next}-a${k}`)));
      out.push(ret(action), label(next));
    }
  }
  if (lastHadArgs) out.push(ld(NR));
  for (const r of ranges(first)) {
    // above: the next range; below: in no range (the ranges ascend), the default
    const next = `${name}-range-${r.lo}`;
    out.push(jgt(r.hi, next, 0), jge(r.lo, 0, `${next}-below`), ret(r.action), label(`${next}-below`), ret(defaultRet), label(next));
  }
  out.push(ret(defaultRet));
  return out;
}

/** The unconditional numbers of FIRST as ascending ranges of consecutive numbers with one action. */
export function ranges(first: ReadonlyMap<number, { conditional: boolean; action: number }>): Range[] {
  const fixed = [...first].filter(([, d]) => !d.conditional).sort(([a], [b]) => a - b);
  const out: Range[] = [];
  for (const [nr, { action }] of fixed) {
    const last = out[out.length - 1];
    if (last && last.hi === nr - 1 && last.action === action) last.hi = nr;
    else out.push({ lo: nr, hi: nr, action });
  }
  return out;
}

export interface CompiledSeccomp {
  flags: number;
  /** struct sock_filter[], as hex */
  program: string;
  instructions: number;
}

export function compileSeccomp(s: Seccomp): CompiledSeccomp {
  if (s.listenerPath) throw bad('listenerPath', 'seccomp notification is not supported');
  const defaultRet = actionValue(s.defaultAction, s.defaultErrnoRet, 'defaultAction');
  // other hosts' architectures (arm64, s390x, ...) in a portable profile are irrelevant here
  const archs = new Set(s.architectures?.length ? s.architectures : ['SCMP_ARCH_X86_64']);
  let flags = 0;
  for (const f of s.flags ?? []) {
    const v = SECCOMP_FLAGS[f];
    if (v === undefined) throw bad('flags', `unknown flag ${f}`);
    flags |= v;
  }
  const program: Insn[] = [ld(ARCH)];
  // the host's own architecture is always filtered; x86 only when listed
  program.push(jeq(AUDIT_ARCH.x86_64, 0, 'not-x86_64'), ja('arch-x86_64'), label('not-x86_64'));
  if (archs.has('SCMP_ARCH_X86')) program.push(jeq(AUDIT_ARCH.i386, 0, 'not-i386'), ja('arch-i386'), label('not-i386'));
  program.push(ret(RET.KILL_PROCESS));
  const x32Ret = archs.has('SCMP_ARCH_X32') ? defaultRet : RET.KILL_PROCESS;
  program.push(...archBlock('x86_64', x86_64Syscalls(), s, defaultRet, x32Ret));
  if (archs.has('SCMP_ARCH_X86')) program.push(...archBlock('i386', i386Syscalls(), s, defaultRet, null));
  const bytes = assemble(program);
  return { flags, program: bytes.toString('hex'), instructions: bytes.length / 8 };
}
